package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryPolicy;
import dev.privateegress.testing.RedisLauncher;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import java.util.Set;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.JedisClusterCRC16;

class ClusterTest {
  private static RedisLauncher.Cluster cluster;

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
    return PrivateEgress.builder()
        .environment(Map.of("REDIS_URL", "redis://" + cluster.seed(), "REDIS_CLUSTER", "true",
            "PRIVATE_EGRESS_STARTUP_GRACE", "PT0S"))
        .retryPolicy(RetryPolicy.defaults().withBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
            .withMaxAttempts(3))
        .build();
  }

  /** Which node owns a key's slot (slots are split evenly, in node order). */
  private static int owner(String key) {
    return Math.min(2, JedisClusterCRC16.getSlot(key) / (16384 / 3));
  }

  @Test
  void tenThousandKeysSpreadAndTheClientRecoversFromAKilledNode() {
    PrivateEgress egress = egress();
    try (UnifiedJedis redis = PrivateRedis.connect(egress)) {
      assertThat(redis).isInstanceOf(RedisClusterClient.class);
      for (int i = 0; i < 10_000; i++) {
        redis.set("key:" + i, "v" + i);
      }
      long total = 0;
      for (RedisLauncher.Node n : cluster.nodes()) {
        long size = (Long) n.command("DBSIZE");
        assertThat(size).as("keys on %s", n).isGreaterThan(2_500);
        total += size;
      }
      assertThat(total).isGreaterThanOrEqualTo(10_000);

      RedisLauncher.Node victim = cluster.node(1);
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
    RedisLauncher.Node owner = cluster.node(owner(key));
    owner.command("DEL", key);
    try (UnifiedJedis redis = PrivateRedis.builder(egress()).socketTimeout(Duration.ofMillis(200)).build()) {
      redis.ping();
      assertThat(redis.incrBy(key, 0)).isZero(); // warm the pool for that node
      CountDownLatch busy = new CountDownLatch(1);
      AtomicReference<Throwable> scriptFailure = new AtomicReference<>();
      Thread blocker = new Thread(() -> {
        try {
          busy.countDown();
          // Keeps the owner busy for 800 ms: the INCRBY waits in its socket, the client times out at 200 ms,
          // and then the server runs it anyway. Jedis' own executor would send it again (redis/jedis#1812).
          busy(owner, 800_000);
        } catch (Throwable t) {
          scriptFailure.set(t);
        }
      });
      blocker.start();
      busy.await();
      Thread.sleep(100);
      assertThatThrownBy(() -> redis.incrBy(key, 5))
          .isInstanceOf(AmbiguousCommandException.class)
          .hasMessageContaining("INCRBY")
          .hasMessageContaining("not sent again");
      blocker.join();
      assertThat(scriptFailure.get()).isNull();
      Thread.sleep(100);
      assertThat(owner.command("GET", key)).as("applied exactly once").isEqualTo("5");
    }
  }

  /**
   * The same scenario with a default Jedis cluster client: its executor re-sends the INCRBY after the
   * read timeout, so the increment lands twice. This shows the scenario above really is ambiguous.
   */
  @Test
  void aDefaultJedisClusterClientAppliesTheSameIncrByTwice() throws Exception {
    String key = "counter:raw";
    RedisLauncher.Node owner = cluster.node(owner(key));
    owner.command("DEL", key);
    try (RedisClusterClient raw = RedisClusterClient.builder()
        .nodes(Set.of(new HostAndPort("127.0.0.1", cluster.node(0).port())))
        .clientConfig(DefaultJedisClientConfig.builder().socketTimeoutMillis(200).build()).build()) {
      assertThat(raw.incrBy(key, 0)).isZero();
      Thread blocker = new Thread(() -> busy(owner, 800_000));
      blocker.start();
      Thread.sleep(100);
      raw.incrBy(key, 5);
      blocker.join();
      Thread.sleep(100);
      assertThat(owner.command("GET", key)).as("redis/jedis#1812: applied twice").isEqualTo("10");
    }
  }

  private static void busy(RedisLauncher.Node node, long micros) {
    node.command("EVAL", "local s=redis.call('TIME') local t0=s[1]*1000000+s[2] "
        + "while true do local n=redis.call('TIME') if n[1]*1000000+n[2]-t0 > tonumber(ARGV[1]) then break end end "
        + "return 1", "0", Long.toString(micros));
  }

  private static String firstKeyOwnedBy(int node) {
    for (int i = 0; ; i++) {
      if (owner("key:" + i) == node) {
        return "key:" + i;
      }
    }
  }
}
