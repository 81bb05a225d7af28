package dev.privateegress.redis.internal;

import dev.privateegress.RetryBudget;
import dev.privateegress.redis.AmbiguousCommandException;
import java.time.Duration;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Connection;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisRedirectionException;
import redis.clients.jedis.executors.ClusterCommandExecutor;

/**
 * Jedis' cluster executor (slot routing, MOVED/ASK, multi-node commands) minus its unsafe part.
 *
 * <p>Jedis retries a command after any {@link JedisConnectionException}, including one thrown after
 * the command was written, which applies an {@code INCRBY} twice when the first attempt ran but its
 * reply was lost (redis/jedis#1812). Here such a failure leaves {@link #execute} as {@link
 * AmbiguousCommandException}, which Jedis' loop does not catch, so the command is never re-sent.
 * Redirects still work: MOVED and ASK are replies, not connection failures, and following them is safe.
 * A node that answers {@code CLUSTERDOWN} or {@code LOADING} (restarted, rejoining) did not run the
 * command, so it is sent again until served, within the deadline and budget. Connection set-up failures
 * are retried by {@link SafeClusterConnectionProvider}.
 */
public final class SafeClusterExecutor extends ClusterCommandExecutor {
  private final Endpoint endpoint;
  private final RetryBudget budget;
  private final ConnectRetrier retrier;
  private final StaleConnections stale;
  private final CommandEvents events;

  /**
   * @param provider the cluster's connection provider (retries connection set-up)
   * @param maxRedirects how many MOVED/ASK redirects one command may follow (Jedis counts sends: one more)
   * @param maxTotalDuration how long one command may take across redirects
   * @param budget the cluster's (its discovery endpoint's) budget, refilled by each successful command
   * @param retrier the provider's: its retry loop, and how it explains a refused AUTH
   */
  public SafeClusterExecutor(SafeClusterConnectionProvider provider, int maxRedirects, Duration maxTotalDuration,
      RetryBudget budget, ConnectRetrier retrier) {
    super(provider, maxRedirects == Integer.MAX_VALUE ? maxRedirects : maxRedirects + 1, maxTotalDuration);
    this.endpoint = retrier.endpoint();
    this.budget = budget;
    this.retrier = retrier;
    this.stale = provider.stale();
    this.events = retrier.events();
  }

  @Override
  protected <T> T execute(Connection connection, CommandObject<T> command) {
    T reply;
    try {
      reply = retrier.send(connection, command, stale, budget, true);
    } catch (JedisRedirectionException e) {
      throw e; // Jedis follows it; the command goes on
    } catch (RuntimeException e) {
      reply = retrier.afterFailedTry(e,
          () -> retrier.send(connection, command, stale, budget, true));
    }
    events.ended(true);
    return reply;
  }
}
