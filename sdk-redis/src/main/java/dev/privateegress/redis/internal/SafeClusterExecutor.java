package dev.privateegress.redis.internal;

import dev.privateegress.RetryBudget;
import java.time.Duration;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Connection;
import redis.clients.jedis.StaticCommandFlagsRegistry;
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
  private final RedisRetry retry;

  /**
   * @param provider the cluster's connection provider (retries connection set-up)
   * @param maxRedirects how many MOVED/ASK redirects one command may follow
   * @param maxTotal how long one command may take across redirects
   * @param endpoint the discovery endpoint (for messages)
   * @param budget refilled by each successful command
   * @param retry the client's retry loop (the provider's)
   */
  public SafeClusterExecutor(SafeClusterConnectionProvider provider, int maxRedirects, Duration maxTotal,
      Endpoint endpoint, RetryBudget budget, RedisRetry retry) {
    super(provider, maxRedirects, maxTotal, StaticCommandFlagsRegistry.registry());
    this.endpoint = endpoint;
    this.budget = budget;
    this.retry = retry;
  }

  @Override
  public RedisRetry redisRetry() {
    return retry;
  }

  @Override
  protected <T> T execute(Connection connection, CommandObject<T> command) {
    try {
      T reply = connection.executeCommand(command);
      budget.recordSuccess();
      return reply;
    } catch (JedisConnectionException e) {
      String where = "cluster node " + connection.getHostAndPort() + " (" + endpoint.label() + ")";
      throw Ambiguity.of(command, where, e, endpoint);
    }
  }
}
