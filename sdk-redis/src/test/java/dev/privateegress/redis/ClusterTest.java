package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryPolicy;
import dev.privateegress.testing.RedisCluster;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.JedisClusterCRC16;

class ClusterTest {
  private static RedisCluster cluster;

  @BeforeAll
  static void start() {
    cluster = RedisLauncher.cluster(3).start();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static PrivateEgress egress() {
    return egress(RetryPolicy.defaults().deadline());
  }

  /** A command whose node is down waits for a failover up to {@code deadline}. */
  private static PrivateEgress egress(Duration deadline) {
    return PrivateEgress.builder()
        .environment(Map.of("REDIS_URL", "redis://" + cluster.seed(), "REDIS_CLUSTER", "true",
            "PRIVATE_EGRESS_STARTUP_GRACE", "PT0S"))
        .retryPolicy(RetryPolicy.defaults().withBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
            .withMaxAttempts(3).withDeadline(deadline))
        .build();
  }

  @Test
  void clusterModeMismatchesAreExplained() {
    try (RedisNode standalone = RedisLauncher.startPlain()) {
      Fixtures.Events events = new Fixtures.Events();
      assertThatThrownBy(() -> PrivateRedis.connect(Fixtures.egress(Map.of("REDIS_URL", standalone.url(),
          "REDIS_CLUSTER", "true"), events)))
          .hasMessageContaining("REDIS_CLUSTER=true, but redis 127.0.0.1:" + standalone.port() + " is not a cluster");
      assertThat(events.retries).as("not retried").isEmpty();
    }
    try (UnifiedJedis notClustered = PrivateRedis.connect(Fixtures.egress(Map.of("REDIS_URL", "redis://" + cluster.seed())))) {
      String key = java.util.stream.IntStream.range(0, 100).mapToObj(i -> "k" + i)
          .filter(k -> owner(k) != 0).findFirst().orElseThrow();
      assertThatThrownBy(() -> notClustered.set(key, "v"))
          .isInstanceOf(redis.clients.jedis.exceptions.JedisMovedDataException.class)
          .hasMessageContaining("MOVED").hasMessageContaining("set REDIS_CLUSTER=true");
    }
  }

  /** Which node owns a key's slot (slots are split evenly, in node order). */
  private static int owner(String key) {
    return Math.min(2, JedisClusterCRC16.getSlot(key) / (16384 / 3));
  }

  @Test
  void tenThousandKeysSpreadAndTheClientRecoversFromAKilledNode() {
    PrivateEgress egress = egress(Duration.ofSeconds(3)); // no replica takes over: GET waits out its deadline
    try (UnifiedJedis redis = PrivateRedis.connect(egress)) {
      assertThat(redis.getClass().getSimpleName()).isIn("RedisClusterClient", "JedisCluster");
      for (int i = 0; i < 10_000; i++) {
        redis.set("key:" + i, "v" + i);
      }
      long total = 0;
      for (RedisNode n : cluster.nodes()) {
        long size = (Long) n.command("DBSIZE");
        assertThat(size).as("keys on %s", n).isGreaterThan(2_500);
        total += size;
      }
      assertThat(total).isGreaterThanOrEqualTo(10_000);

      RedisNode victim = cluster.node(1);
      victim.command("SAVE");
      victim.kill();
      String onVictim = firstKeyOwnedBy(1);
      String onOther = firstKeyOwnedBy(0);
      assertThatThrownBy(() -> redis.get(onVictim)).isInstanceOf(JedisException.class);
      String other = PrivateRedis.retrying(egress, redis, r -> r.get(onOther));
      assertThat(other).as("the other masters keep serving").isEqualTo("v" + onOther.substring(4));

      victim.start();
      cluster.awaitOk(30_000);
      for (int i = 0; i < 10_000; i++) {
        String key = "key:" + i;
        String v = PrivateRedis.retrying(egress, redis, r -> r.get(key));
        assertThat(v).isEqualTo("v" + i);
      }
      assertThat(redis.incr("{key:1}after")).isEqualTo(1L);
      assertThat(redis.set(onVictim, "rewritten")).isEqualTo("OK");
    }
  }

  @Test
  void ambiguousIncrByIsNotResentByTheClusterExecutor() throws Exception {
    String key = "counter:ambiguous";
    RedisNode owner = cluster.node(owner(key));
    try (UnifiedJedis redis = PrivateRedis.builder(egress()).socketTimeout(Duration.ofMillis(200)).build()) {
      redis.ping();
      for (int round = 1; ; round++) {
        owner.command("DEL", key);
        assertThat(redis.incrBy(key, 0)).isZero(); // warm the pool for that node
        owner.command("CONFIG", "RESETSTAT");
        // The owner runs a 1.5 s script: the INCRBY waits in its socket, the client times out at 200 ms,
        // and then the server runs it anyway. Jedis' own executor would send it again (redis/jedis#1812).
        Busy busy = Busy.start(owner, 1_500_000);
        Throwable thrown = catchThrowable(() -> redis.incrBy(key, 5));
        busy.join();
        if (thrown == null) {
          // The script ended before the INCRBY arrived (a stalled machine): not the case under test.
          assertThat(round).as("rounds in which the INCRBY missed the busy window").isLessThan(5);
          continue;
        }
        assertThat(thrown).isInstanceOf(AmbiguousCommandException.class)
            .hasMessageContaining("INCRBY")
            .hasMessageContaining("not sent again");
        assertThat(awaitAtLeast(owner, key, 5)).as("applied exactly once").isEqualTo(5);
        assertThat(StandaloneTest.calls(owner, "incrby")).as("sent exactly once").isEqualTo(1);
        return;
      }
    }
  }

  /**
   * The same scenario with a default Jedis cluster client: its executor re-sends the INCRBY after the
   * read timeout, so the increment lands twice or more. This shows the scenario above really is ambiguous.
   */
  @Test
  void aDefaultJedisClusterClientAppliesTheSameIncrByTwice() throws Exception {
    String key = "counter:raw";
    RedisNode owner = cluster.node(owner(key));
    try (UnifiedJedis raw = (UnifiedJedis) dev.privateegress.redis.internal.JedisVersions.clusterBuilder()
        .nodes(Set.of(new HostAndPort("127.0.0.1", cluster.node(0).port())))
        .clientConfig(DefaultJedisClientConfig.builder().socketTimeoutMillis(200).build())
        // Jedis' retries time out while the node is busy (connection set-up included) and go on after it;
        // enough of them that one outlasts the script on a slow machine.
        .maxAttempts(50).maxTotalRetriesDuration(Duration.ofSeconds(20)).build()) {
      for (int round = 1; ; round++) {
        owner.command("DEL", key);
        assertThat(raw.incrBy(key, 0)).isZero();
        Busy busy = Busy.start(owner, 800_000);
        catchThrowable(() -> raw.incrBy(key, 5)); // fails or succeeds depending on when the script ends
        busy.join();
        long applied = awaitAtLeast(owner, key, 10);
        if (applied == 5) {
          // Sent only once within the busy window (a stalled machine): not the case under test.
          assertThat(round).as("rounds without a re-send").isLessThan(5);
          continue;
        }
        // Each send adds 5; how many re-sends fit in the busy window depends on timing.
        assertThat(applied).as("redis/jedis#1812: applied more than once").isGreaterThan(5).isGreaterThanOrEqualTo(10);
        return;
      }
    }
  }

  @Test
  void theIdleSweepSendsNoPingToAnyNode() throws Exception {
    try (UnifiedJedis redis = PrivateRedis.builder(egress()).validateIdleEvery(Duration.ofMillis(50)).build()) {
      for (int node = 0; node < 3; node++) {
        redis.set(firstKeyOwnedBy("idle:", node), "x"); // an idle pooled connection to every node
      }
      for (RedisNode n : cluster.nodes()) {
        n.command("CONFIG", "RESETSTAT");
      }
      Thread.sleep(120); // past validateIdleEvery, so the next command sweeps (a lower bound: longer is fine)
      redis.get(firstKeyOwnedBy("idle:", 0));
      redis.get(firstKeyOwnedBy("idle:", 1));
      long pings = 0;
      long gets = 0;
      for (RedisNode n : cluster.nodes()) {
        pings += StandaloneTest.calls(n, "ping");
        gets += StandaloneTest.calls(n, "get");
      }
      // The old sweep PINGed every idle connection of every node on this thread (3 s each if black-holed).
      assertThat(pings).isZero();
      assertThat(gets).isEqualTo(2);
    }
  }

  /** A script keeping a node busy; {@link #start} returns once the node stops answering other clients. */
  private static final class Busy {
    private final Thread thread;
    private final AtomicReference<Throwable> failure;

    private Busy(Thread thread, AtomicReference<Throwable> failure) {
      this.thread = thread;
      this.failure = failure;
    }

    static Busy start(RedisNode node, long micros) {
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread t = new Thread(() -> {
        try {
          busy(node, micros);
        } catch (Throwable e) {
          failure.set(e);
        }
      }, "busy-script");
      t.start();
      awaitBusy(node, t);
      return new Busy(t, failure);
    }

    void join() throws InterruptedException {
      thread.join(60_000);
      assertThat(thread.isAlive()).as("script finished").isFalse();
      assertThat(failure.get()).isNull();
    }
  }

  /**
   * Polls with PING on fresh connections until one goes unanswered for 100 ms: the node is inside the
   * script (Redis serves no one else meanwhile). Returns early if the script already ended.
   */
  private static void awaitBusy(RedisNode node, Thread script) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (script.isAlive()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the script did not start on " + node);
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", node.port()), 5_000);
        s.setSoTimeout(100);
        s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
        s.getInputStream().read(); // answered: the script has not started yet
      } catch (SocketTimeoutException e) {
        return;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  /** Polls {@code key} for up to 3 s until it reaches {@code atLeast}; returns the last value read. */
  private static long awaitAtLeast(RedisNode node, String key, long atLeast) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (true) {
      Object v = node.command("GET", key);
      long value = v == null ? 0 : Long.parseLong(String.valueOf(v));
      if (value >= atLeast || System.nanoTime() > deadline) {
        return value;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
  }

  private static void busy(RedisNode node, long micros) {
    node.command("EVAL", "local s=redis.call('TIME') local t0=s[1]*1000000+s[2] "
        + "while true do local n=redis.call('TIME') if n[1]*1000000+n[2]-t0 > tonumber(ARGV[1]) then break end end "
        + "return 1", "0", Long.toString(micros));
  }

  private static String firstKeyOwnedBy(int node) {
    return firstKeyOwnedBy("key:", node);
  }

  private static String firstKeyOwnedBy(String prefix, int node) {
    for (int i = 0; ; i++) {
      if (owner(prefix + i) == node) {
        return prefix + i;
      }
    }
  }
}
