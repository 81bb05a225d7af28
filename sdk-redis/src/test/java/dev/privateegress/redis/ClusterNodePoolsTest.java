package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryPolicy;
import dev.privateegress.testing.FaultProxy;
import dev.privateegress.testing.InMemoryTracing;
import dev.privateegress.testing.RedisCluster;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The SDK's own pool per cluster node: connections opened at the pace they are needed on every node, a failing
 * node's connect outcome shared by the commands waiting for it, and command spans naming the node that served them.
 * Every node is reached through a {@link FaultProxy} whose port it announces in the slot map ({@code
 * cluster-announce-port}), so a test sees and shapes each node's connections; discovery goes to node 0 directly.
 */
class ClusterNodePoolsTest {
  private static RedisCluster cluster;
  private static final List<FaultProxy> proxies = new ArrayList<>();

  @BeforeAll
  static void start() {
    cluster = RedisLauncher.cluster(3).start();
    for (RedisNode n : cluster.nodes()) {
      FaultProxy p = FaultProxy.start(n.port());
      proxies.add(p);
      n.command("CONFIG", "SET", "cluster-announce-port", Integer.toString(p.port()));
    }
    awaitProxiesAnnounced();
  }

  @AfterAll
  static void stop() {
    proxies.forEach(FaultProxy::close);
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void passAgain() {
    proxies.forEach(p -> p.defaultBehavior(FaultProxy.Behavior.pass()));
  }

  private static PrivateEgress egress() {
    return Fixtures.egress(Map.of("REDIS_URL", "redis://127.0.0.1:" + cluster.node(0).port(), "REDIS_CLUSTER",
        "true"));
  }

  @Test
  void aBurstOnANewClientOpensAboutOneConnectionPerNodeWhereRawJedisOpensOnePerCommand() throws Exception {
    // Each connection's set-up waits 300 ms in the node's proxy: a pool that is not paced opens one connection
    // for every command that finds none idle.
    proxies.forEach(p -> p.defaultBehavior(FaultProxy.Behavior.pass().delayed(Duration.ofMillis(300))));
    List<String> keys = keysSpread("burst:", 16);
    int[] before = accepted();
    try (UnifiedJedis redis = PrivateRedis.builder(egress()).clientName("burst").build()) {
      AtomicInteger next = new AtomicInteger();
      assertThat(ConnectionPacingTest.burst(16, () -> redis.incr(keys.get(next.getAndIncrement())))).isEmpty();
      int[] sdk = since(before);
      for (String k : keys) {
        assertThat(cluster.node(owner(k)).command("GET", k)).as("each applied once").isEqualTo("1");
      }

      before = accepted();
      List<String> rawKeys = keysSpread("raw:", 16);
      try (UnifiedJedis raw = (UnifiedJedis) dev.privateegress.redis.internal.JedisVersions.clusterBuilder()
          .nodes(Set.of(new HostAndPort("127.0.0.1", cluster.node(0).port())))
          .clientConfig(DefaultJedisClientConfig.builder().build()).build()) {
        AtomicInteger rawNext = new AtomicInteger();
        assertThat(ConnectionPacingTest.burst(16, () -> raw.incr(rawKeys.get(rawNext.getAndIncrement()))))
            .isEmpty();
      }
      int[] jedis = since(before);
      System.out.printf("16 concurrent INCRs on a new cluster client (3 nodes, 300 ms connection set-up): "
          + "connections opened per node: SDK %s, raw Jedis %s%n", List.of(sdk[0], sdk[1], sdk[2]),
          List.of(jedis[0], jedis[1], jedis[2]));
      for (int n = 0; n < 3; n++) {
        // One, and a second one while commands still wait for the first (as the standalone pool grows).
        assertThat(sdk[n]).as("connections the SDK opened to node %d for 5 or 6 concurrent commands", n)
            .isBetween(1, 2);
      }
      assertThat(jedis[0] + jedis[1] + jedis[2]).as("raw Jedis: a connection for each command that finds none idle")
          .isGreaterThan(sdk[0] + sdk[1] + sdk[2]);
    }
  }

  @Test
  void everyConnectionToANodeComesFromTheSdksPoolsThatJedisIsGiven() throws Exception {
    int[] before = accepted();
    try (UnifiedJedis redis = PrivateRedis.builder(egress()).clientName("pools").build()) {
      List<String> keys = keysSpread("paths:", 6);
      keys.forEach(k -> redis.set(k, "v"));          // keyed: by slot
      assertThat(redis.ping()).isEqualTo("PONG");    // keyless: any primary (round robin on Jedis 8)
      try (AbstractPipeline p = redis.pipelined()) { // pipelines: by node
        keys.forEach(p::incr);
        p.sync();
      }
      redis.flushAll();                              // broadcast to every primary
      Map<String, ConnectionPool> pools = clusterNodes(redis);
      int[] opened = since(before);
      long created = pools.values().stream().mapToLong(ConnectionPool::getCreatedCount).sum();
      assertThat(pools).hasSize(3);
      assertThat(created).as("connections of the pools the client hands out = connections the nodes accepted")
          .isEqualTo(opened[0] + opened[1] + opened[2]);
      for (int n = 0; n < 3; n++) {
        ConnectionPool pool = pools.get("127.0.0.1:" + proxies.get(n).port());
        assertThat(pool.getCreatedCount()).as("node %d: one connection for sequential commands", n).isEqualTo(1);
        // Paced: the limit is at most one above the open connections (Jedis' own pools would allow 8 at once).
        assertThat(pool.getMaxTotal()).as("node %d's pool limit", n).isBetween(1, 2);
      }
    }
  }

  @Test
  void commandsWaitingForAFailingNodeShareItsConnectOutcome() throws Exception {
    FaultProxy failing = proxies.get(1);
    failing.defaultBehavior(FaultProxy.Behavior.reset().delayed(Duration.ofMillis(100)));
    String key = keysSpread("storm:", 3).get(1);
    assertThat(owner(key)).isEqualTo(1);
    Fixtures.Events events = new Fixtures.Events();
    // A 1 s deadline: the commands wait for a failover (one probe of the node per 250 ms) until it, then fail.
    PrivateEgress egress = PrivateEgress.builder()
        .environment(Map.of("REDIS_URL", "redis://127.0.0.1:" + cluster.node(0).port(), "REDIS_CLUSTER", "true",
            "PRIVATE_EGRESS_STARTUP_GRACE", "PT0S"))
        .listener(events)
        .retryPolicy(RetryPolicy.defaults().withBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
            .withDeadline(Duration.ofSeconds(1)))
        .build();
    int before = failing.acceptedConnections();
    try (UnifiedJedis redis = PrivateRedis.builder(egress).build()) {
      List<Throwable> failures = ConnectionPacingTest.burst(30, () -> redis.incr(key));
      assertThat(failures).hasSize(30).allSatisfy(f -> assertThat(f).isInstanceOf(JedisException.class)
          .hasMessageContaining("cluster node 127.0.0.1:" + failing.port()));
      int dialled = failing.acceptedConnections() - before;
      System.out.printf("30 concurrent INCRs to a cluster node that resets connections: %d connect attempts%n",
          dialled);
      // 30 commands with 3 attempts each would dial 90 times; sharing the attempt in flight dials a few, and
      // waiting for a failover adds one probe per 250 ms for the whole client, not one per command.
      assertThat(dialled).as("connect attempts to the failing node for 30 commands").isLessThan(15);
      assertThat(events.attempts).as("every command still reports its attempts").hasSizeGreaterThanOrEqualTo(30);
    }
    assertThat(cluster.node(1).command("GET", key)).isNull();
  }

  @Test
  void commandSpansNameTheNodeThatServedThemAndEachNodesConnectionHasItsSpan() {
    try (InMemoryTracing tracing = new InMemoryTracing()) {
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("REDIS_URL", "redis://127.0.0.1:" + cluster.node(0).port(), "REDIS_CLUSTER", "true",
              "PRIVATE_EGRESS_STARTUP_GRACE", "PT0S"))
          .observationRegistry(tracing.registry()).build();
      List<String> keys = keysSpread("traced:", 3);
      try (UnifiedJedis redis = PrivateRedis.connect(egress)) {
        keys.forEach(redis::incr);
      }
      List<SpanData> incrs = tracing.spans("INCR");
      assertThat(incrs).hasSize(3);
      for (int i = 0; i < 3; i++) {
        int node = owner(keys.get(i));
        assertThat(attr(incrs.get(i), "server.address")).isEqualTo("127.0.0.1");
        assertThat(attr(incrs.get(i), "server.port")).as("the node serving %s", keys.get(i))
            .isEqualTo(Integer.toString(proxies.get(node).port()));
      }
      List<SpanData> connects = tracing.spans("redis connect");
      assertThat(connects).as("one connection per node, each with its span").hasSize(3);
      assertThat(connects).extracting(s -> attr(s, "server.port")).containsExactlyInAnyOrder(
          Integer.toString(proxies.get(0).port()), Integer.toString(proxies.get(1).port()),
          Integer.toString(proxies.get(2).port()));
      assertThat(connects).allSatisfy(s -> assertThat(attr(s, "private_egress.auth")).isEqualTo("none"));
    }
  }

  private static String attr(SpanData span, String key) {
    return span.getAttributes().get(AttributeKey.stringKey(key));
  }

  @SuppressWarnings("unchecked")
  static Map<String, ConnectionPool> clusterNodes(UnifiedJedis redis) throws ReflectiveOperationException {
    return (Map<String, ConnectionPool>) redis.getClass().getMethod("getClusterNodes").invoke(redis);
  }

  /** Connections each node's proxy has accepted so far. */
  private static int[] accepted() {
    return new int[] {proxies.get(0).acceptedConnections(), proxies.get(1).acceptedConnections(),
        proxies.get(2).acceptedConnections()};
  }

  private static int[] since(int[] before) {
    int[] now = accepted();
    return new int[] {now[0] - before[0], now[1] - before[1], now[2] - before[2]};
  }

  /** {@code count} keys, node after node (key {@code i} on node {@code i % 3}). */
  private static List<String> keysSpread(String prefix, int count) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < count; i++) {
      String k = prefix + i;
      if (owner(k) == keys.size() % 3) {
        keys.add(k);
      }
    }
    return keys;
  }

  /** Which node owns a key's slot (slots are split evenly, in node order). */
  private static int owner(String key) {
    return Math.min(2, JedisClusterCRC16.getSlot(key) / (16384 / 3));
  }

  /** Until every node's slot map names the proxies' ports for all three masters. */
  private static void awaitProxiesAnnounced() {
    Set<Long> ports = Set.of((long) proxies.get(0).port(), (long) proxies.get(1).port(),
        (long) proxies.get(2).port());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      boolean all = true;
      for (RedisNode n : cluster.nodes()) {
        for (Object range : (List<?>) n.command("CLUSTER", "SLOTS")) {
          all &= ports.contains((Long) ((List<?>) ((List<?>) range).get(2)).get(1));
        }
      }
      if (all) {
        return;
      }
      assertThat(System.nanoTime()).as("nodes announce the proxies within 30 s").isLessThan(deadline);
      ServerRestartsAndTimeoutsTest.sleep(50);
    }
  }
}
