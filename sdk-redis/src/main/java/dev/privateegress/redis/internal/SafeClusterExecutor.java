package dev.privateegress.redis.internal;

import dev.privateegress.RetryBudget;
import java.time.Duration;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Connection;
import redis.clients.jedis.StaticCommandFlagsRegistry;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.executors.ClusterCommandExecutor;

/**
 * Jedis' cluster executor (slot routing, MOVED/ASK, multi-node commands) minus its unsafe part.
 *
 * <p>Jedis retries a command after any {@link JedisConnectionException}, including one thrown after
 * the command was written, which applies an {@code INCRBY} twice when the first attempt ran but its
 * reply was lost (redis/jedis#1812). Here such a failure leaves {@link #execute} as {@link
 * dev.privateegress.redis.AmbiguousCommandException}, which Jedis' loop does not catch, so the command
 * is never re-sent. Redirects still work: MOVED and ASK are replies, not connection failures, and
 * following them is safe. Connection set-up failures are retried by {@link SafeClusterConnectionProvider}.
 */
public final class SafeClusterExecutor extends ClusterCommandExecutor implements RedisRetry.Owner {
  private final Endpoint endpoint;
  private final RetryBudget budget;
  private final ConnectRetrier retrier;
  /** Whether any command got a reply; until then a closed connection may mean a TLS port spoken to in plaintext. */
  private volatile boolean answered;

  /**
   * @param provider the cluster's connection provider (retries connection set-up)
   * @param maxRedirects how many MOVED/ASK redirects one command may follow
   * @param maxTotal how long one command may take across redirects
   * @param endpoint the discovery endpoint (for messages)
   * @param budget refilled by each successful command
   * @param retrier the provider's: its retry loop, and how it explains a refused AUTH
   */
  public SafeClusterExecutor(SafeClusterConnectionProvider provider, int maxRedirects, Duration maxTotal,
      Endpoint endpoint, RetryBudget budget, ConnectRetrier retrier) {
    super(provider, maxRedirects, maxTotal, StaticCommandFlagsRegistry.registry());
    this.endpoint = endpoint;
    this.budget = budget;
    this.retrier = retrier;
  }

  @Override
  public RedisRetry redisRetry() {
    return retrier.retry();
  }

  @Override
  protected <T> T execute(Connection connection, CommandObject<T> command) {
    try {
      T reply = connection.executeCommand(command);
      budget.recordSuccess();
      if (!answered) {
        answered = true; // written once: the hot path stays free of shared writes
      }
      return reply;
    } catch (JedisConnectionException e) {
      String where = "cluster node " + connection.getHostAndPort() + " (" + endpoint.label() + ")";
      throw Ambiguity.of(command, where, e, endpoint, answered);
    } catch (JedisAccessControlException e) {
      if (Failures.classify(e) == Failures.Kind.AUTH) {
        throw retrier.authFailed(endpoint, e);
      }
      throw e;
    }
  }
}
