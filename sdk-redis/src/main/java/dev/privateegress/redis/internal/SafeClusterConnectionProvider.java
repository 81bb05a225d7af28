package dev.privateegress.redis.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Set;
import org.apache.commons.pool2.impl.GenericObjectPool;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.providers.ClusterConnectionProvider;

/**
 * Jedis' cluster provider with safe connection set-up retries: a node that refuses or times out is
 * retried with the egress retry policy, refreshing the slot map between attempts (a failover may
 * have moved the slots). The final failure is a {@link JedisClusterOperationException}, which Jedis'
 * executor passes on instead of retrying again on top. Also runs the idle sweep of every node's pool.
 */
public final class SafeClusterConnectionProvider extends ClusterConnectionProvider {
  private ConnectRetrier retrier;
  private Endpoint endpoint;
  private IdleMaintenance maintenance;

  /**
   * Contacts the seed for the slot map (Jedis needs it up front); call {@link Clusters#init} next.
   *
   * @param seeds the discovery endpoint
   * @param config client settings for every node
   * @param poolConfig pool settings for every node's pool
   */
  public SafeClusterConnectionProvider(Set<HostAndPort> seeds, JedisClientConfig config,
      GenericObjectPoolConfig<Connection> poolConfig) {
    super(seeds, config, poolConfig); // contacts the seed: Jedis needs the slot map up front
  }

  void init(ConnectRetrier retrier, Endpoint endpoint, Duration sweepInterval) {
    this.retrier = retrier;
    this.endpoint = endpoint;
    this.maintenance = new IdleMaintenance(this::pools, sweepInterval);
  }

  private Collection<? extends GenericObjectPool<Connection>> pools() {
    return new ArrayList<>(getNodes().values());
  }

  private Connection safely(java.util.function.Supplier<Connection> get, boolean renewBetween) {
    maintenance.maybeSweep();
    return retrier.acquire(endpoint, get, renewBetween ? this::renewSlotCache : null,
        SafeClusterConnectionProvider::finish);
  }

  private static JedisException finish(Failures.Kind kind, String message, JedisException cause) {
    return new JedisClusterOperationException(message, cause);
  }

  @Override
  public Connection getConnection(CommandArguments args) {
    return safely(() -> super.getConnection(args), true);
  }

  @Override
  public Connection getConnection(HostAndPort node) {
    return safely(() -> super.getConnection(node), false);
  }

  @Override
  public Connection getConnection() {
    return safely(super::getConnection, true);
  }

  @Override
  public Connection getConnectionFromSlot(int slot) {
    return safely(() -> super.getConnectionFromSlot(slot), true);
  }
}
