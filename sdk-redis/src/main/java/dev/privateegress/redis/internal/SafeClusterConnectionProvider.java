package dev.privateegress.redis.internal;

import dev.privateegress.RetryBudget;
import dev.privateegress.internal.CallRetry;
import dev.privateegress.internal.RetryLoop;
import dev.privateegress.redis.AmbiguousCommandException;
import dev.privateegress.redis.internal.PacedConnectionProvider.IdleMaintenance;
import dev.privateegress.redis.internal.PacedConnectionProvider.StaleConnections;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisRedirectionException;
import redis.clients.jedis.executors.ClusterCommandExecutor;
import redis.clients.jedis.providers.ClusterConnectionProvider;

/**
 * Jedis' cluster provider with the SDK's node pools. Jedis keeps the slot map ({@code CLUSTER SLOTS} parsing,
 * {@link #getNode(int)}); every node's connections come from a {@link PacedConnectionProvider} of the SDK's, built
 * like the standalone pool: the SDK's socket factory, a connection span per new connection, one connection opened at
 * a time per node, a failed connect shared by the commands waiting for it, idle connections checked before use.
 *
 * <p>Jedis' own node pools still exist inside its slot map, but are made with {@code maxTotal} 0 and never borrowed
 * from: every getter Jedis' executor, pipelines and client call is overridden here (checked against Jedis 7.0 to
 * 8.0), and the slot map is refreshed over a connection from the SDK's pools, node by node, never over a connection
 * Jedis opens itself (only discovery, in the constructor, does that). Nodes that leave the slot map are closed.
 * Replicas are not read from (the SDK does not enable {@code READONLY}): replica getters return the primary.
 *
 * <p>A node that refuses or times out is retried with the egress retry policy, refreshing the slot map between
 * attempts (a failover may have moved the slots); a command for a slot then waits for a failover up to its retry
 * deadline ({@link #awaitSlotMoved}). The final failure is a {@link JedisClusterOperationException} naming the
 * node, which Jedis' executor passes on instead of retrying again on top. Also runs the idle sweep of
 * every node's pool. Its {@link Executor} runs the commands.
 */
final class SafeClusterConnectionProvider extends ClusterConnectionProvider {
  private static final long RENEW_AFTER_FAILURE_MILLIS = 100;
  private static final long PROBE_MILLIS = 250;

  private final HostAndPort seed;
  private final Map<HostAndPort, PacedConnectionProvider> pools = new ConcurrentHashMap<>();
  private final ReentrantLock refreshing = new ReentrantLock();
  private final AtomicLong lastFailureRenewal = new AtomicLong(System.nanoTime() - TimeUnit.SECONDS.toNanos(1));
  private final AtomicLong lastProbe = new AtomicLong(System.nanoTime() - TimeUnit.SECONDS.toNanos(1));
  private Function<HostAndPort, PacedConnectionProvider> newPool;
  private ConnectRetrier retrier;
  private StaleConnections stale;
  private IdleMaintenance maintenance;

  /**
   * Reads the slot map through {@code seed} (Jedis needs it up front: its one connection of its own); call {@link
   * #init} next.
   */
  SafeClusterConnectionProvider(HostAndPort seed, JedisClientConfig config) {
    super(Set.of(seed), config, dormant());
    this.seed = seed;
  }

  /**
   * @param retrier the client's retry decisions
   * @param newPool builds the pool of a node (no I/O)
   * @param sweepInterval how often the idle sweep runs
   */
  void init(ConnectRetrier retrier, Function<HostAndPort, PacedConnectionProvider> newPool, Duration sweepInterval) {
    this.retrier = retrier;
    this.newPool = newPool;
    this.stale = new StaleConnections(this::socketOf);
    this.maintenance = new IdleMaintenance(() -> pools.values().stream().map(PacedConnectionProvider::getPool)
        .toList(), sweepInterval, stale::forgetClosed);
  }

  /** Finds the connections the nodes closed while idle, with the sockets of the node pools. */
  StaleConnections stale() {
    return stale;
  }

  /** Jedis' node pools: never borrowed from, and unable to open a connection if they were. */
  private static GenericObjectPoolConfig<Connection> dormant() {
    GenericObjectPoolConfig<Connection> c = new GenericObjectPoolConfig<>();
    c.setMaxTotal(0);
    c.setMaxIdle(0);
    c.setMinIdle(0);
    c.setBlockWhenExhausted(false);
    c.setTimeBetweenEvictionRuns(Duration.ofMillis(-1));
    c.setJmxEnabled(false);
    return c;
  }

  /** The SDK's pool of {@code node}, made on first use. */
  private PacedConnectionProvider pool(HostAndPort node) {
    return pools.computeIfAbsent(node, newPool);
  }

  /** The node {@code c} is open to, or null if it is not one of the node pools' connections. */
  HostAndPort nodeOf(Connection c) {
    for (Map.Entry<HostAndPort, PacedConnectionProvider> e : pools.entrySet()) {
      if (e.getValue().socketOf(c) != null) {
        return e.getKey();
      }
    }
    return null;
  }

  /** The socket the SDK's socket factory created for {@code c}, or null. */
  Socket socketOf(Connection c) {
    for (PacedConnectionProvider p : pools.values()) {
      Socket s = p.socketOf(c);
      if (s != null) {
        return s;
      }
    }
    return null;
  }

  /** A connection to {@code node} from its pool; a pool closed meanwhile (the node left the map) is made again. */
  private Connection borrow(HostAndPort node) {
    maintenance.maybeSweep();
    PacedConnectionProvider p = pool(node);
    try {
      return p.getConnection();
    } catch (JedisException e) {
      if (!p.getPool().isClosed()) {
        throw e;
      }
      pools.remove(node, p);
      return pool(node).getConnection();
    }
  }

  /** A connection to the node serving {@code slot}, reading the slot map again if no node serves it. */
  private Connection borrowForSlot(int slot) {
    HostAndPort node = cache.getSlotNode(slot);
    if (node == null) {
      renewSlotCache();
      node = cache.getSlotNode(slot);
    }
    return node != null ? borrow(node) : borrowAny();
  }

  /** A connection to any primary, trying them in random order. */
  private Connection borrowAny() {
    List<HostAndPort> primaries = shuffled(cache.getPrimaryNodes().keySet());
    JedisException first = null;
    for (HostAndPort n : primaries) {
      try {
        return borrow(n);
      } catch (JedisException e) {
        first = first == null ? e : first;
      }
    }
    throw first != null ? first : new JedisClusterOperationException("No reachable node in cluster.");
  }

  @Override
  public Connection getConnection(HostAndPort node) {
    if (node == null) {
      return getConnection();
    }
    try {
      return borrow(node);
    } catch (RuntimeException first) {
      return slow(first, () -> borrow(node), -1, false, "cluster node " + node);
    }
  }

  @Override
  public Connection getConnection() {
    try {
      return borrowAny();
    } catch (RuntimeException first) {
      return slow(first, this::borrowAny, -1, true, "a cluster node");
    }
  }

  // getConnection(CommandArguments) and getReplicaConnection(CommandArguments) are left to Jedis: they read the
  // command's slot (differently in 7 and 8) and call getConnectionFromSlot, getReplicaConnectionFromSlot or
  // getConnection, all overridden here.

  @Override
  public Connection getConnectionFromSlot(int slot) {
    try {
      return borrowForSlot(slot);
    } catch (RuntimeException first) {
      return slow(first, () -> borrowForSlot(slot), slot, true, nodeOf(slot));
    }
  }

  @Override
  public Connection getReplicaConnectionFromSlot(int slot) {
    return getConnectionFromSlot(slot);
  }

  @Override
  public Map<String, ConnectionPool> getNodes() {
    return poolsOf(cache.getNodes().keySet());
  }

  @Override
  public Map<String, ConnectionPool> getPrimaryNodes() {
    return poolsOf(cache.getPrimaryNodes().keySet());
  }

  @Override
  public Map<String, ConnectionPool> getConnectionMap() {
    return Collections.unmodifiableMap(getNodes());
  }

  @Override
  public Map<String, ConnectionPool> getPrimaryNodesConnectionMap() {
    return Collections.unmodifiableMap(getPrimaryNodes());
  }

  /** The SDK's pools of the nodes keyed {@code host:port}, as Jedis keys them. */
  private Map<String, ConnectionPool> poolsOf(Set<String> nodes) {
    Map<String, ConnectionPool> m = new HashMap<>();
    for (String key : nodes) {
      m.put(key, (ConnectionPool) pool(HostAndPort.from(key)).getPool());
    }
    return m;
  }

  @Override
  public void renewSlotCache() {
    renew(null);
  }

  @Override
  public void renewSlotCache(Connection c) {
    renew(c);
  }

  /**
   * Reads the slot map over {@code given} (the connection that got a MOVED) if any, else over a connection from the
   * SDK's pools: nodes that have open connections first, then the others, then the discovery endpoint. One thread
   * refreshes at a time; the others go on with the map they have, as with Jedis' own refresh.
   */
  private void renew(Connection given) {
    if (!refreshing.tryLock()) {
      return;
    }
    try {
      if (given != null && refreshOver(given)) {
        return;
      }
      List<HostAndPort> nodes = shuffled(cache.getNodes().keySet());
      nodes.sort(Comparator.comparingInt(n -> {
        PacedConnectionProvider p = pools.get(n);
        return p != null && p.open() > 0 ? 0 : 1;
      }));
      if (!nodes.contains(seed)) {
        nodes.add(seed);
      }
      for (HostAndPort n : nodes) {
        try (Connection c = borrow(n)) {
          if (refreshOver(c)) {
            return;
          }
        } catch (JedisException e) {
          // the next node
        }
      }
    } finally {
      refreshing.unlock();
    }
  }

  /** Reads the slot map over {@code c}; then closes the pools of nodes that left it. */
  private boolean refreshOver(Connection c) {
    try {
      cache.discoverClusterNodesAndSlots(c);
    } catch (JedisException e) {
      return false;
    }
    Set<String> live = cache.getNodes().keySet();
    pools.forEach((node, p) -> {
      if (!live.contains(node.toString()) && pools.remove(node, p)) {
        p.close();
      }
    });
    return true;
  }

  private static List<HostAndPort> shuffled(Set<String> keys) {
    List<HostAndPort> nodes = new ArrayList<>(keys.size());
    for (String k : keys) {
      nodes.add(HostAndPort.from(k));
    }
    Collections.shuffle(nodes);
    return nodes;
  }

  /**
   * After a failed first try: retried set-up, the slot map refreshed between tries when {@code renewBetween}. When
   * the node of {@code slot} (if not -1) still cannot be reached after that, the command waits for a failover
   * ({@link #awaitSlotMoved}).
   */
  private Connection slow(RuntimeException first, Supplier<Connection> get, int slot, boolean renewBetween,
      String node) {
    String where = node + " of " + retrier.endpoint().label();
    long deadline = System.nanoTime() + retrier.loop().policy().deadline().toNanos();
    // One call of the resilience4j view, the failover wait included: the connect attempts inside are part of it,
    // so a command that got its connection after waiting counts as succeeded, not as a failed call with retry.
    CallRetry view = retrier.loop().view();
    CallRetry.Open open = view.open();
    boolean succeeded = false;
    String outcome = "ok";
    try {
      Connection c;
      try {
        c = retrier.acquire(where, first, get, renewBetween ? this::renewSlotCache : null,
            SafeClusterConnectionProvider::finish);
      } catch (JedisClusterOperationException e) {
        // a node that cannot be reached (a retryable connect failure, nothing sent): a failover may be under way
        if (slot < 0 || e.getCause() == null || !Failures.classify(e.getCause()).retryable()) {
          throw e;
        }
        c = awaitSlotMoved(slot, deadline, e);
      }
      succeeded = true;
      return c;
    } catch (RuntimeException e) {
      outcome = Failures.shortCause(e);
      retrier.events().ended(false); // the command ends here, before it was sent
      if (renewBetween) {
        renewAfterFailure();
      }
      throw e;
    } finally {
      view.close(open, succeeded, outcome);
    }
  }

  /**
   * Waits, up to the command's retry deadline, for the node of {@code slot} to become reachable: its replica
   * promoted (the slot map, refreshed at most once per {@value #RENEW_AFTER_FAILURE_MILLIS} ms for the whole
   * client, names another node) or the node back. Like {@code JedisCluster}, which retries for {@code timeout ×
   * maxAttempts}, this rides out a failover; unlike it, nothing was sent, so nothing can run twice. It spends no
   * retry budget, and the unreachable node is dialled at most once per {@value #PROBE_MILLIS} ms for the whole
   * client ({@link #mayProbe}), however many commands wait.
   *
   * @param failed the failure after the retry policy's attempts, thrown (with how long it waited) at the deadline
   */
  private Connection awaitSlotMoved(int slot, long deadline, JedisClusterOperationException failed) {
    long began = System.nanoTime();
    HostAndPort down = cache.getSlotNode(slot);
    RuntimeException last = failed;
    while (deadline - System.nanoTime() > 0) {
      long step = Math.min(deadline - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(RENEW_AFTER_FAILURE_MILLIS));
      if (!RetryLoop.sleep(step)) {
        break;
      }
      renewAfterFailure();
      HostAndPort node = cache.getSlotNode(slot);
      if (node == null || node.equals(down) && !mayProbe(node)) {
        continue;
      }
      try {
        return borrowForSlot(slot);
      } catch (RuntimeException e) {
        if (!Failures.classify(e).retryable()) {
          throw e;
        }
        down = node;
        last = e;
      }
    }
    JedisClusterOperationException e = new JedisClusterOperationException(failed.getMessage()
        + "; waited " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began) + " ms more for a failover "
        + "(up to the retry deadline): the slot stayed on an unreachable node", failed.getCause());
    if (last != failed) {
      e.addSuppressed(last);
    }
    throw e;
  }

  /**
   * Whether a waiting command may borrow from {@code node}, which could not be reached: when it has a connection
   * again (it came back), or as the client's one probe of the last {@value #PROBE_MILLIS} ms.
   */
  private boolean mayProbe(HostAndPort node) {
    PacedConnectionProvider p = pools.get(node);
    if (p != null && p.open() > 0) {
      return true;
    }
    return due(lastProbe, PROBE_MILLIS);
  }

  /** True for one caller at most once per {@code millis}: the one that moves {@code last} to now. */
  private static boolean due(AtomicLong last, long millis) {
    long now = System.nanoTime();
    long then = last.get();
    return now - then >= TimeUnit.MILLISECONDS.toNanos(millis) && last.compareAndSet(then, now);
  }

  /**
   * Refreshes the slot map after a command could not reach its node, also when no retry was allowed (the
   * budget was empty): otherwise every later command would go to a dead master long after its replica
   * took over. At most once per {@value #RENEW_AFTER_FAILURE_MILLIS} ms, so a dead node does not turn
   * every command into a {@code CLUSTER SLOTS} on the others.
   */
  private void renewAfterFailure() {
    if (!due(lastFailureRenewal, RENEW_AFTER_FAILURE_MILLIS)) {
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

  @Override
  public void close() {
    pools.values().forEach(PacedConnectionProvider::close);
    pools.clear();
    super.close();
  }

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
   * are retried by the provider.
   *
   * <p>A connection the node closed while idle is replaced by one to the same node before the command is written
   * ({@link StaleConnections}): also one Jedis took from a node's pool directly (broadcast and, on Jedis 8, keyless
   * commands), which the pool's own hand-out check does not see.
   */
  static final class Executor extends ClusterCommandExecutor {
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
    Executor(SafeClusterConnectionProvider provider, int maxRedirects, Duration maxTotalDuration,
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
}
