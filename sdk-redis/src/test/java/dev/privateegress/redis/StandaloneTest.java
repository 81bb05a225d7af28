package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.ConfigurationException;
import dev.privateegress.PrivateEgress;
import dev.privateegress.testing.RedisLauncher;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.util.Pool;

class StandaloneTest {

  @Test
  void plainServerFromRedisHostAndPort() {
    try (RedisLauncher.Node n = RedisLauncher.startPlain();
        UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of(
            "REDISHOST", "127.0.0.1", "REDISPORT", Integer.toString(n.port()))))) {
      assertThat(redis).isInstanceOf(RedisClient.class);
      assertThat(redis.set("k", "v")).isEqualTo("OK");
      assertThat(redis.get("k")).isEqualTo("v");
      assertThat(redis.incr("n")).isEqualTo(1L);
      assertThat(n.command("GET", "k")).isEqualTo("v");
    }
  }

  @Test
  void privateEgressHostsOverrideMapsTheConfiguredName() {
    try (RedisLauncher.Node n = RedisLauncher.startPlain();
        UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of(
            "REDIS_URL", "redis://redis.internal.example:" + n.port() + "/2",
            "PRIVATE_EGRESS_HOSTS", "redis.internal.example=127.0.0.1")))) {
      redis.set("k", "db2");
      assertThat(n.command("SELECT", "2")).isEqualTo("OK");
      assertThat(redis.get("k")).isEqualTo("db2");
    }
  }

  @Test
  void authStringFromRedisAuth() {
    try (RedisLauncher.Node n = RedisLauncher.builder().requirePass("auth-string-1").start();
        UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of(
            "REDISHOST", "127.0.0.1", "REDISPORT", Integer.toString(n.port()), "REDIS_AUTH", "auth-string-1")))) {
      assertThat(redis.ping()).isEqualTo("PONG");
    }
  }

  @Test
  void wrongAuthStringIsExplainedWithoutShowingIt() {
    Fixtures.Events events = new Fixtures.Events();
    try (RedisLauncher.Node n = RedisLauncher.builder().requirePass("right-one").start();
        UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of(
            "REDISHOST", "127.0.0.1", "REDISPORT", Integer.toString(n.port()), "REDIS_AUTH", "wrong-secret"), events))) {
      assertThatThrownBy(redis::ping)
          .isInstanceOf(JedisAccessControlException.class)
          .hasMessageContaining("wrong AUTH string")
          .hasMessageContaining("get-auth-string")
          .hasMessageNotContaining("wrong-secret")
          .hasMessageNotContaining("right-one");
      assertThat(events.authFailures).hasSize(1);
      assertThat(events.authFailures.get(0)).contains("127.0.0.1:" + n.port()).doesNotContain("wrong-secret");
      assertThat(events.retries).as("AUTH failures are not retried").isEmpty();
    }
  }

  @Test
  void missingAuthIsExplained() {
    try (RedisLauncher.Node n = RedisLauncher.builder().requirePass("needed").start();
        UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of("REDIS_URL", n.url())))) {
      assertThatThrownBy(redis::ping).isInstanceOf(JedisAccessControlException.class)
          .hasMessageContaining("requires AUTH").hasMessageContaining("REDIS_AUTH");
    }
  }

  @Test
  void aclUserFromTheUrl() {
    try (RedisLauncher.Node n = RedisLauncher.builder().aclUser("app", "app-pass").requirePass("x").start();
        UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of(
            "REDIS_URL", "redis://app:app-pass@127.0.0.1:" + n.port())))) {
      assertThat(new String((byte[]) redis.sendCommand(Protocol.Command.ACL, "WHOAMI"),
          java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("app");
    }
    try (RedisLauncher.Node n = RedisLauncher.builder().aclUser("app", "app-pass").start();
        UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of(
            "REDIS_URL", "redis://app:nope@127.0.0.1:" + n.port())))) {
      assertThatThrownBy(redis::ping).isInstanceOf(JedisAccessControlException.class)
          .hasMessageContaining("ACL user 'app'").hasMessageNotContaining("nope");
    }
  }

  @Test
  void missingConfigurationNamesTheVariables() {
    PrivateEgress egress = Fixtures.egress(Map.of());
    assertThatThrownBy(() -> PrivateRedis.connect(egress))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("REDISHOST").hasMessageContaining("REDIS_URL").hasMessageContaining("REDISPORT");
  }

  @Test
  void buildingDoesNoNetworkIoAndConnectFailuresAreRetriedThenExplained() {
    Fixtures.Events events = new Fixtures.Events();
    int port = freePortNobodyListensOn();
    // No server: building must still succeed (no I/O in construction).
    try (UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of(
        "REDISHOST", "127.0.0.1", "REDISPORT", Integer.toString(port)), events))) {
      assertThatThrownBy(() -> redis.incr("x"))
          .isInstanceOf(JedisConnectionException.class)
          .isNotInstanceOf(AmbiguousCommandException.class)
          .hasMessageContaining("cannot connect to redis 127.0.0.1:" + port)
          .hasMessageContaining("gave up after 3 attempts");
      assertThat(events.retries).hasSize(2);
      assertThat(events.connectFailures).hasSize(3);
    }
  }

  @Test
  void connectRetriesBridgeAServerThatStartsLate() throws Exception {
    try (RedisLauncher.Node n = RedisLauncher.startPlain()) {
      int port = n.port();
      n.kill();
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("REDISHOST", "127.0.0.1", "REDISPORT", Integer.toString(port),
              "PRIVATE_EGRESS_STARTUP_GRACE", "PT0S"))
          .retryPolicy(dev.privateegress.RetryPolicy.defaults().withMaxAttempts(40)
              .withBackoff(Duration.ofMillis(50), Duration.ofMillis(100)))
          .build();
      try (UnifiedJedis redis = PrivateRedis.connect(egress)) {
        Thread starter = new Thread(() -> {
          try {
            Thread.sleep(300);
          } catch (InterruptedException e) {
            return;
          }
          n.start();
        });
        starter.start();
        assertThat(redis.incr("late")).isEqualTo(1L); // refused while down: retried, sent once
        starter.join();
      }
    }
  }

  @Test
  void idleConnectionsAreEvictedAtBorrowWithoutABackgroundThread() throws Exception {
    try (RedisLauncher.Node n = RedisLauncher.startPlain();
        UnifiedJedis redis = PrivateRedis.builder(Fixtures.egress(Map.of("REDIS_URL", n.url())))
            .validateIdleEvery(Duration.ofMillis(100)).evictAfterIdle(Duration.ofMillis(200)).build()) {
      Pool<Connection> pool = ((RedisClient) redis).getPool();
      assertThat(pool.getTimeBetweenEvictionRuns()).isNegative(); // no evictor thread
      redis.ping();
      assertThat(pool.getNumIdle()).isEqualTo(1);
      long created = pool.getCreatedCount();
      Thread.sleep(350);
      assertThat(pool.getNumIdle()).as("nothing runs in the background").isEqualTo(1);
      redis.ping(); // this borrow sweeps first: the stale connection is closed, a new one opened
      assertThat(pool.getDestroyedByEvictorCount()).isEqualTo(1);
      assertThat(pool.getCreatedCount()).isEqualTo(created + 1);
    }
  }

  @Test
  void serverlessPoolDefaults() {
    try (RedisLauncher.Node n = RedisLauncher.startPlain();
        UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of("REDIS_URL", n.url())))) {
      Pool<Connection> pool = ((RedisClient) redis).getPool();
      assertThat(pool.getMaxTotal()).isEqualTo(8);
      assertThat(pool.getMinIdle()).isZero();
      assertThat(pool.getTestWhileIdle()).isTrue();
      assertThat(pool.getMinEvictableIdleDuration()).isEqualTo(Duration.ofMinutes(5));
      assertThat(pool.getTimeBetweenEvictionRuns()).isNegative();
      assertThat(pool.getTestOnBorrow()).isFalse();
      assertThat(pool.getMaxWaitDuration()).isEqualTo(Duration.ofSeconds(2));
    }
  }

  private static int freePortNobodyListensOn() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
