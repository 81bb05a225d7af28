package dev.privateegress.redis.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.commons.pool2.impl.GenericObjectPool;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.providers.ClusterConnectionProvider;

/**
 * Jedis' cluster provider with safe connection set-up: a node that refuses or times out is retried with
 * the egress retry policy, refreshing the slot map between attempts (a failover may have moved the
 * slots), and a pooled connection the node closed while idle is replaced before it is handed out
 * ({@link StaleConnections}). The final failure is a {@link JedisClusterOperationException} naming the
 * node, which Jedis' executor passes on instead of retrying again on top. Also runs the idle sweep of
 * every node's pool. The success path allocates nothing of its own.
 */
public final class SafeClusterConnectionProvider extends ClusterConnectionProvider {
  private ConnectRetrier retrier;
  private IdleMaintenance maintenance;
  private StaleConnections stale;
  private int maxTotal;
  private static final long RENEW_AFTER_FAILURE_MILLIS = 100;
  private final AtomicLong lastFailureRenewal = new AtomicLong(System.nanoTime() - TimeUnit.SECONDS.toNanos(1));

  /**
   * Contacts the seed for the slot map (Jedis needs it up front); call {@link RedisClients#initCluster} next.
   *
   * @param seeds the discovery endpoint
   * @param config client settings for every node
   * @param poolConfig pool settings for every node's pool
   */
  public SafeClusterConnectionProvider(Set<HostAndPort> seeds, JedisClientConfig config,
      GenericObjectPoolConfig<Connection> poolConfig) {
    super(seeds, config, poolConfig); // contacts the seed: Jedis needs the slot map up front
  }

  void init(ConnectRetrier retrier, StaleConnections stale, Duration sweepInterval, int maxTotal) {
    this.retrier = retrier;
    this.stale = stale;
    this.maxTotal = maxTotal;
    this.maintenance = new IdleMaintenance(this::pools, sweepInterval, stale::forgetClosed);
  }

  /** Finds the connections the nodes closed while idle. */
  StaleConnections stale() {
    return stale;
  }

  private Collection<? extends GenericObjectPool<Connection>> pools() {
    return new ArrayList<>(getNodes().values());
  }

  // getConnection(CommandArguments) is left to Jedis: it picks the slot and calls getConnectionFromSlot.

  @Override
  public Connection getConnection(HostAndPort node) {
    maintenance.maybeSweep();
    Connection c;
    try {
      c = super.getConnection(node);
    } catch (RuntimeException first) {
      return slow(first, () -> super.getConnection(node), false, () -> "cluster node " + node);
    }
    if (stale.usable(c)) {
      return c;
    }
    stale.discard(c); // closed by the node while idle: nothing was sent on it
    return slow(null, () -> super.getConnection(node), false, () -> "cluster node " + node);
  }

  @Override
  public Connection getConnection() {
    maintenance.maybeSweep();
    Connection c;
    try {
      c = super.getConnection();
    } catch (RuntimeException first) {
      return slow(first, super::getConnection, true, () -> "a cluster node");
    }
    if (stale.usable(c)) {
      return c;
    }
    stale.discard(c);
    return slow(null, super::getConnection, true, () -> "a cluster node");
  }

  @Override
  public Connection getConnectionFromSlot(int slot) {
    maintenance.maybeSweep();
    Connection c;
    try {
      c = super.getConnectionFromSlot(slot);
    } catch (RuntimeException first) {
      return slow(first, () -> super.getConnectionFromSlot(slot), true, () -> nodeOf(slot));
    }
    if (stale.usable(c)) {
      return c;
    }
    stale.discard(c);
    return slow(null, () -> super.getConnectionFromSlot(slot), true, () -> nodeOf(slot));
  }

  /** After a failed first try or a stale connection: retried set-up, stale connections replaced. */
  private Connection slow(RuntimeException first, Supplier<Connection> get, boolean renewBetween,
      Supplier<String> node) {
    Supplier<Connection> live = () -> {
      for (int i = 0; ; i++) {
        Connection c = get.get();
        if (i >= maxTotal || stale.usable(c)) {
          return c;
        }
        stale.discard(c);
      }
    };
    String where = node.get() + " of " + retrier.endpoint().label();
    try {
      return retrier.acquire(where, first, live, renewBetween ? this::renewSlotCache : null,
          SafeClusterConnectionProvider::finish);
    } catch (RuntimeException e) {
      retrier.events().ended(false); // the command ends here, before it was sent
      if (renewBetween) {
        renewAfterFailure();
      }
      throw e;
    }
  }

  /**
   * Refreshes the slot map after a command could not reach its node, also when no retry was allowed (the
   * budget was empty): otherwise every later command would go to a dead master long after its replica
   * took over. At most once per {@value #RENEW_AFTER_FAILURE_MILLIS} ms, so a dead node does not turn
   * every command into a {@code CLUSTER SLOTS} on the others.
   */
  private void renewAfterFailure() {
    long now = System.nanoTime();
    long last = lastFailureRenewal.get();
    if (now - last < TimeUnit.MILLISECONDS.toNanos(RENEW_AFTER_FAILURE_MILLIS)
        || !lastFailureRenewal.compareAndSet(last, now)) {
      return;
    }
    try {
      renewSlotCache();
    } catch (RuntimeException ignored) {
      // no node answered; the next failure tries again
    }
  }

  private String nodeOf(int slot) {
    HostAndPort n = slot < 0 ? null : getNode(slot);
    return n == null ? "the node of slot " + slot : "cluster node " + n + " (slot " + slot + ")";
  }

  private static JedisException finish(Failures.Kind kind, String message, JedisException cause) {
    return new JedisClusterOperationException(message, cause);
  }
}
