package dev.privateegress.redis.internal;

import dev.privateegress.RetryBudget;
import dev.privateegress.redis.AmbiguousCommandException;
import java.time.Duration;
import java.util.function.Function;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
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
 *
 * <p>A connection the node closed while idle is replaced by one to the same node before the command is written
 * ({@link StaleConnections}): also one Jedis took from a node's pool directly (broadcast and, on Jedis 8, keyless
 * commands), which the pool's own hand-out check does not see.
 */
final class SafeClusterExecutor extends ClusterCommandExecutor {
  private final SafeClusterConnectionProvider provider;
  private final RetryBudget budget;
  private final ConnectRetrier retrier;
  private final StaleConnections stale;
  private final CommandEvents events;
  private final int maxTotal;
  private final Function<Connection, HostAndPort> nodes;

  /**
   * @param provider the cluster's connection provider (retries connection set-up)
   * @param maxRedirects how many MOVED/ASK redirects one command may follow (Jedis counts sends: one more)
   * @param maxTotalDuration how long one command may take across redirects
   * @param budget the cluster's (its discovery endpoint's) budget, refilled by each successful command
   * @param retrier the provider's: its retry loop, and how it explains a refused AUTH
   * @param maxTotal the pool size per node: at most this many closed connections are replaced for one command
   */
  public SafeClusterExecutor(SafeClusterConnectionProvider provider, int maxRedirects, Duration maxTotalDuration,
      RetryBudget budget, ConnectRetrier retrier, int maxTotal) {
    super(provider, maxRedirects == Integer.MAX_VALUE ? maxRedirects : maxRedirects + 1, maxTotalDuration);
    this.provider = provider;
    this.budget = budget;
    this.retrier = retrier;
    this.stale = provider.stale();
    this.events = retrier.events();
    this.maxTotal = maxTotal;
    this.nodes = provider::nodeOf;
  }

  @Override
  protected <T> T execute(Connection connection, CommandObject<T> command) {
    Connection c = stale.usable(connection) ? connection : replace(connection);
    try {
      T reply;
      try {
        reply = retrier.send(c, command, stale, budget, nodes);
      } catch (JedisRedirectionException e) {
        throw e; // Jedis follows it; the command goes on
      } catch (RuntimeException e) {
        reply = retrier.afterFailedTry(e, () -> retrier.send(c, command, stale, budget, nodes));
      }
      events.ended(true);
      return reply;
    } finally {
      if (c != connection) {
        c.close(); // Jedis closes the one it passed in
      }
    }
  }

  /** A live connection to the node of {@code closed}, which the node closed while idle: nothing was sent on it. */
  private Connection replace(Connection closed) {
    HostAndPort node = provider.nodeOf(closed);
    if (node == null) {
      return closed; // not from a node pool: used as it is
    }
    stale.discard(closed);
    Connection c = provider.getConnection(node);
    for (int i = 0; i < maxTotal && !stale.usable(c); i++) {
      stale.discard(c);
      c = provider.getConnection(node);
    }
    return c;
  }
}
