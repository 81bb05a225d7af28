package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.ConfigurationException;
import dev.privateegress.PrivateEgress;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import io.github.resilience4j.retry.Retry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.util.Pool;

class StandaloneTest {

  @Test
  void plainServerFromRedisHostAndPort() {
    try (RedisNode n = RedisLauncher.startPlain();
        UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of(
            "REDISHOST", "127.0.0.1", "REDISPORT", Integer.toString(n.port()))))) {
      assertThat(redis.getClass().getSimpleName()).isIn("RedisClient", "JedisPooled");
      assertThat(redis.set("k", "v")).isEqualTo("OK");
      assertThat(redis.get("k")).isEqualTo("v");
      assertThat(redis.incr("n")).isEqualTo(1L);
      assertThat(n.command("GET", "k")).isEqualTo("v");
    }
  }

  /**
   * The same wire on every Jedis the SDK supports (7.0, 7.4, 8.x): a plain AUTH and RESP2, never HELLO, which
   * Jedis 8 sends by default and Redis before 6 does not know.
   */
  @Test
  void connectionsAuthenticatePlainlyAndSpeakResp2OnEveryJedisVersion() {
    try (RedisNode n = RedisLauncher.builder().requirePass("pw-1").start();
        UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of(
            "REDIS_URL", "redis://127.0.0.1:" + n.port(), "REDIS_AUTH", "pw-1")))) {
      assertThat(redis.incr("n")).isEqualTo(1L);
      assertThat(redis.zadd("z", 1.5, "a")).isEqualTo(1L);
      assertThat(redis.zrangeWithScores("z", 0, -1).get(0).getScore()).isEqualTo(1.5);
      String stats = String.valueOf(n.command("INFO", "commandstats"));
      assertThat(stats).contains("cmdstat_auth:").doesNotContain("cmdstat_hello:");
      assertThat(String.valueOf(n.command("CLIENT", "LIST"))).contains("resp=2").doesNotContain("resp=3");
    }
  }

  @Test
  void privateEgressHostsOverrideMapsTheConfiguredName() {
    try (RedisNode n = RedisLauncher.startPlain();
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
    try (RedisNode n = RedisLauncher.builder().requirePass("auth-string-1").start();
        UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of(
            "REDISHOST", "127.0.0.1", "REDISPORT", Integer.toString(n.port()), "REDIS_AUTH", "auth-string-1")))) {
      assertThat(redis.ping()).isEqualTo("PONG");
    }
  }

  @Test
  void wrongAuthStringIsExplainedWithoutShowingIt() {
    Fixtures.Events events = new Fixtures.Events();
    try (RedisNode n = RedisLauncher.builder().requirePass("right-one").start();
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
    try (RedisNode n = RedisLauncher.builder().requirePass("needed").start();
        UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of("REDIS_URL", n.url())))) {
      assertThatThrownBy(redis::ping).isInstanceOf(JedisAccessControlException.class)
          .hasMessageContaining("requires AUTH").hasMessageContaining("REDIS_AUTH");
    }
  }

  @Test
  void aclUserFromTheUrl() {
    try (RedisNode n = RedisLauncher.builder().aclUser("app", "app-pass").requirePass("x").start();
        UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of(
            "REDIS_URL", "redis://app:app-pass@127.0.0.1:" + n.port())))) {
      assertThat(new String((byte[]) redis.sendCommand(Protocol.Command.ACL, "WHOAMI"),
          java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("app");
    }
    try (RedisNode n = RedisLauncher.builder().aclUser("app", "app-pass").start();
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
      Retry retry = PrivateRedis.retry(redis);
      AtomicInteger retryEvents = new AtomicInteger();
      retry.getEventPublisher().onRetry(e -> retryEvents.incrementAndGet());
      assertThatThrownBy(() -> redis.incr("x"))
          .isInstanceOf(JedisConnectionException.class)
          .isNotInstanceOf(AmbiguousCommandException.class)
          .hasMessageContaining("cannot connect to redis 127.0.0.1:" + port)
          .hasMessageContaining("gave up after 3 attempts");
      assertThat(events.retries).hasSize(2);
      assertThat(events.connectFailures).hasSize(3);
      // resilience4j saw both retries and the failed call (stopped by the SDK's attempt limit): one failed call
      // with retry, as on PrivateHttp
      assertThat(retryEvents.get()).isEqualTo(2);
      assertThat(retry.getMetrics().getNumberOfFailedCallsWithRetryAttempt()).isEqualTo(1);
      assertThat(retry.getMetrics().getNumberOfFailedCallsWithoutRetryAttempt()).isZero();
      assertThat(retry.getMetrics().getNumberOfTotalCalls()).as("attempts, in resilience4j's terms").isEqualTo(3);
    }
  }

  @Test
  void buildingOpensNoConnectionAndRepliesParseTheSameWhetherRedisWasUpOrNot() {
    try (RedisNode n = RedisLauncher.startPlain()) {
      Map<String, String> env = Map.of("REDISHOST", "127.0.0.1", "REDISPORT", Integer.toString(n.port()));
      long before = connectionsReceived(n);
      try (UnifiedJedis up = PrivateRedis.connect(Fixtures.egress(env))) {
        // + 1: the INFO that asks opens a connection of its own
        assertThat(connectionsReceived(n)).as("connections opened by build()").isEqualTo(before + 1);
        n.kill();
        // Built while the server is down, as on a cold start before the VPC path is up.
        try (UnifiedJedis builtWhileDown = PrivateRedis.connect(Fixtures.egress(env))) {
          n.start();
          for (UnifiedJedis redis : List.of(up, builtWhileDown)) {
            redis.zadd("z", 1.5, "m");
            assertThat(redis.zrangeWithScores("z", 0, -1)).singleElement()
                .satisfies(t -> assertThat(t.getScore()).isEqualTo(1.5));
            redis.hset("h", "f", "v");
            assertThat(redis.hgetAll("h")).containsEntry("f", "v");
          }
        }
      }
    }
  }

  private static long connectionsReceived(RedisNode n) {
    return String.valueOf(n.command("INFO", "stats")).lines()
        .filter(l -> l.startsWith("total_connections_received:")).findFirst()
        .map(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).trim())).orElseThrow();
  }

  @Test
  void aNameThatDoesNotResolveIsExplainedAndNotRetried() {
    Fixtures.Events events = new Fixtures.Events();
    // Resolved from src/test/resources/hosts only (surefire sets jdk.net.hosts.file): no DNS query leaves.
    try (UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of(
        "REDISHOST", "redis.corp.private", "PRIVATE_EGRESS_MODE", "none"), events))) {
      assertThatThrownBy(() -> redis.get("k"))
          .isInstanceOf(JedisConnectionException.class)
          .hasMessageContaining("redis.corp.private does not resolve")
          .hasMessageContaining("no VPC egress (mode none")
          .hasMessageContaining("PRIVATE_EGRESS_HOSTS=redis.corp.private=127.0.0.1");
      assertThat(events.retries).isEmpty();
      assertThat(events.connectFailures).hasSize(1);
    }
  }

  @Test
  void connectFailureEventsCarryTheResolvedAddress() {
    Fixtures.Events events = new Fixtures.Events();
    int port = freePortNobodyListensOn();
    try (UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of(
        "REDISHOST", "127.0.0.1", "REDISPORT", Integer.toString(port)), events))) {
      assertThatThrownBy(() -> redis.get("k")).isInstanceOf(JedisConnectionException.class);
      assertThat(events.connectFailures).first().asString().endsWith(" /127.0.0.1:" + port);
    }
  }

  @Test
  void connectRetriesBridgeAServerThatStartsLate() throws Exception {
    try (RedisNode n = RedisLauncher.startPlain()) {
      int port = n.port();
      n.kill();
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("REDISHOST", "127.0.0.1", "REDISPORT", Integer.toString(port),
              "PRIVATE_EGRESS_STARTUP_GRACE", "PT0S"))
          // generous: the server may take seconds to start on a loaded machine
          .retryPolicy(dev.privateegress.RetryPolicy.defaults().withMaxAttempts(1_000)
              .withBackoff(Duration.ofMillis(50), Duration.ofMillis(100)).withDeadline(Duration.ofSeconds(60)))
          .retryBudget(dev.privateegress.RetryBudget.unlimited())
          .build();
      try (UnifiedJedis redis = PrivateRedis.connect(egress)) {
        CountDownLatch refused = new CountDownLatch(1);
        PrivateRedis.retry(redis).getEventPublisher().onRetry(e -> refused.countDown());
        Thread starter = new Thread(() -> {
          try {
            refused.await(); // the client has been refused at least once: start the server
          } catch (InterruptedException e) {
            return;
          }
          n.start();
        });
        starter.start();
        assertThat(redis.incr("late")).isEqualTo(1L); // refused while down: retried, sent once
        starter.join();
        assertThat(PrivateRedis.retry(redis).getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt()).isEqualTo(1);
      }
    }
  }

  @Test
  void aRetryingCallThatRetriedAndGaveUpIsOneFailedCallWithRetryAsOnHttp() {
    int port = freePortNobodyListensOn();
    PrivateEgress egress = Fixtures.egress(Map.of("REDISHOST", "127.0.0.1", "REDISPORT", Integer.toString(port)));
    try (UnifiedJedis redis = PrivateRedis.connect(egress)) {
      assertThatThrownBy(() -> PrivateRedis.retrying(egress, redis, r -> r.get("k")))
          .isInstanceOf(JedisConnectionException.class);
      Retry.Metrics m = PrivateRedis.retry(redis).getMetrics();
      // the GET's own connect retries are part of the retrying call: one call, not one per inner loop
      assertThat(m.getNumberOfFailedCallsWithRetryAttempt()).isEqualTo(1);
      assertThat(m.getNumberOfFailedCallsWithoutRetryAttempt()).isZero();
      assertThat(m.getNumberOfSuccessfulCallsWithRetryAttempt()).isZero();
      assertThat(m.getNumberOfSuccessfulCallsWithoutRetryAttempt()).isZero();
    }
  }

  @Test
  void retryingReRunsAReadOnTheClientsRetryAfterItsConnectionWasKilled() {
    try (RedisNode n = RedisLauncher.startPlain();
        UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of("REDIS_URL", n.url())))) {
      PrivateEgress egress = Fixtures.egress(Map.of("REDIS_URL", n.url()));
      redis.set("k", "v");
      n.command("CLIENT", "KILL", "TYPE", "normal"); // the pooled connection dies while idle
      String v = PrivateRedis.retrying(egress, redis, r -> r.get("k"));
      assertThat(v).isEqualTo("v");
      Retry retry = PrivateRedis.retry(redis);
      assertThat(retry.getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt()).as("the retrying call").isEqualTo(1);
      try (UnifiedJedis plain = (UnifiedJedis) dev.privateegress.redis.internal.JedisVersions.standaloneBuilder()
          .hostAndPort(new HostAndPort("127.0.0.1", n.port())).build()) {
        assertThatThrownBy(() -> PrivateRedis.retry(plain))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not built by PrivateRedis");
        String viaPlain = PrivateRedis.retrying(egress, plain, r -> r.get("k"));
        assertThat(viaPlain).as("any client can be used").isEqualTo("v");
      }
    }
  }

  @Test
  void anExhaustedPoolFailsAfterMaxWaitOnce() {
    try (RedisNode n = RedisLauncher.startPlain();
        UnifiedJedis redis = PrivateRedis.builder(Fixtures.egress(Map.of("REDIS_URL", n.url())))
            .maxTotal(1).maxWait(Duration.ofSeconds(1)).build()) {
      Pool<Connection> pool = Fixtures.pool(redis);
      assertThat(redis.get("k")).isNull(); // the pool at its ceiling of one connection
      try (Connection leaked = pool.getResource()) {
        assertThat(leaked.ping()).isTrue();
        long start = System.nanoTime();
        assertThatThrownBy(() -> redis.get("k")).hasMessageContaining("pool exhausted");
        long waited = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        // maxWait once, not again after it (a wide bound for busy machines)
        assertThat(waited).isBetween(1_000L, 1_900L);
      }
    }
  }

  @Test
  void anExhaustedPoolIsExplainedAndNotRetriedAsAConnectFailure() {
    Fixtures.Events events = new Fixtures.Events();
    try (RedisNode n = RedisLauncher.startPlain();
        UnifiedJedis redis = PrivateRedis.builder(Fixtures.egress(Map.of("REDIS_URL", n.url()), events))
            .maxTotal(1).maxWait(Duration.ofMillis(50)).build()) {
      Pool<Connection> pool = Fixtures.pool(redis);
      try (Connection leaked = pool.getResource()) {
        assertThat(leaked.ping()).isTrue();
        assertThatThrownBy(() -> PrivateRedis.retrying(Fixtures.egress(Map.of("REDIS_URL", n.url()), events), redis,
            r -> r.get("k")))
            .isInstanceOf(redis.clients.jedis.exceptions.JedisException.class)
            .isNotInstanceOf(JedisConnectionException.class)
            .hasMessageContaining("pool exhausted: all 1 connections")
            .hasMessageContaining("maxWait 50 ms")
            .hasMessageContaining("raise maxTotal")
            .hasMessageNotContaining("cannot connect");
      }
      assertThat(events.retries).isEmpty();
      assertThat(events.connectFailures).isEmpty();
      assertThat(redis.get("k")).as("works again once the connection is back").isNull();
    }
  }

  @Test
  void idleConnectionsAreEvictedAtBorrowWithoutABackgroundThreadOrAPing() throws Exception {
    try (RedisNode n = RedisLauncher.startPlain();
        UnifiedJedis redis = PrivateRedis.builder(Fixtures.egress(Map.of("REDIS_URL", n.url())))
            .validateIdleEvery(Duration.ofMillis(100)).evictAfterIdle(Duration.ofMillis(200)).build()) {
      Pool<Connection> pool = Fixtures.pool(redis);
      assertThat(pool.getTimeBetweenEvictionRuns()).isNegative(); // no evictor thread
      redis.exists("k");
      assertThat(pool.getNumIdle()).isEqualTo(1);
      long created = pool.getCreatedCount();
      n.command("CONFIG", "RESETSTAT");
      Thread.sleep(350); // a lower bound: longer is fine
      assertThat(pool.getNumIdle()).as("nothing runs in the background").isEqualTo(1);
      redis.exists("k"); // this borrow sweeps first: the stale connection is closed, a new one opened
      assertThat(pool.getDestroyedByEvictorCount()).isEqualTo(1);
      assertThat(pool.getCreatedCount()).isEqualTo(created + 1);
      assertThat(calls(n, "ping")).as("evicted by age, without a round trip").isZero();
    }
  }

  @Test
  void aCommandAfterTheIntervalSweepsExpiredIdleConnectionsItDoesNotTake() throws Exception {
    try (RedisNode n = RedisLauncher.startPlain();
        UnifiedJedis redis = PrivateRedis.builder(Fixtures.egress(Map.of("REDIS_URL", n.url())))
            .validateIdleEvery(Duration.ofMillis(100)).evictAfterIdle(Duration.ofMillis(1000)).build()) {
      Pool<Connection> pool = Fixtures.pool(redis);
      Fixtures.openConnections(redis, 4);
      Thread.sleep(700);
      redis.exists("k"); // uses one of the four (the pool hands out the last returned first); none expired yet
      long created = pool.getCreatedCount();
      n.command("CONFIG", "RESETSTAT");
      Thread.sleep(500); // the other three are now idle past the limit, the one just used is not
      redis.exists("k"); // takes the connection used 500 ms ago; the sweep this command runs closes the other three
      assertThat(pool.getDestroyedCount()).as("the three expired connections the command did not take").isEqualTo(3);
      assertThat(pool.getCreatedCount()).isEqualTo(created);
      assertThat(pool.getNumIdle()).isEqualTo(1);
      assertThat(calls(n, "ping")).as("closed by age, without a round trip").isZero();
    }
  }

  @Test
  void theSweepByARequestSendsNoPingToConnectionsThatAreNotExpired() throws Exception {
    try (RedisNode n = RedisLauncher.startPlain();
        UnifiedJedis redis = PrivateRedis.builder(Fixtures.egress(Map.of("REDIS_URL", n.url())))
            .validateIdleEvery(Duration.ofMillis(50)).build()) {
      Pool<Connection> pool = Fixtures.pool(redis);
      Fixtures.openConnections(redis, 6); // six idle connections
      n.command("CONFIG", "RESETSTAT");
      Thread.sleep(120); // past validateIdleEvery, so the next command sweeps (a lower bound: longer is fine)
      redis.exists("k");
      redis.exists("k");
      // The old sweep PINGed each idle connection on the request thread (6 here; 3 s each if black-holed).
      assertThat(calls(n, "ping")).isZero();
      assertThat(calls(n, "exists")).isEqualTo(2);
      assertThat(pool.getNumIdle()).isEqualTo(6);
    }
  }

  /** How often the server ran {@code command} since the last CONFIG RESETSTAT. */
  static long calls(RedisNode n, String command) {
    String stats = String.valueOf(n.command("INFO", "commandstats"));
    return stats.lines().filter(l -> l.startsWith("cmdstat_" + command + ":")).findFirst()
        .map(l -> Long.parseLong(l.replaceFirst("^[^:]*:calls=(\\d+),.*$", "$1"))).orElse(0L);
  }

  @Test
  void serverlessPoolDefaults() {
    try (RedisNode n = RedisLauncher.startPlain();
        UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of("REDIS_URL", n.url())))) {
      Pool<Connection> pool = Fixtures.pool(redis);
      assertThat(pool.getMaxTotal()).as("one connection is opened first; the pool grows to 8 while commands wait")
          .isEqualTo(1);
      assertThat(pool.getFairness()).as("no fair queue: it costs throughput under concurrency; starved waiters wait on instead").isFalse();
      assertThat(pool.getMinIdle()).isZero();
      assertThat(pool.getTestWhileIdle()).as("no PING on a request thread").isFalse();
      assertThat(pool.getMinEvictableIdleDuration()).isEqualTo(Duration.ofMinutes(5));
      assertThat(pool.getTimeBetweenEvictionRuns()).isNegative();
      assertThat(pool.getTestOnBorrow()).as("the idle limit is checked at borrow, by age, without a PING").isTrue();
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
