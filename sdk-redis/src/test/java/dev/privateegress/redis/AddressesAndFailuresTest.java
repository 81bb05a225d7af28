package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.CheckKind;
import dev.privateegress.CheckResult;
import dev.privateegress.DoctorReport;
import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryPolicy;
import dev.privateegress.testing.FaultProxy;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;

/**
 * Every address of a name, failures named by what happened, and a startup grace that serves the first
 * connection only.
 */
class AddressesAndFailuresTest {

  @Test
  void aNameMappedToADeadAndALiveAddressWorksInTheClientAndTheDoctor() {
    try (RedisNode n = RedisLauncher.startPlain()) {
      // redis-server listens on 127.0.0.1 only: 127.0.0.2 refuses.
      Map<String, String> env = Map.of("PRIVATE_EGRESS_HOSTS", "cache.test=127.0.0.2,cache.test=127.0.0.1",
          "REDISHOST", "cache.test", "REDISPORT", Integer.toString(n.port()));
      Fixtures.Events events = new Fixtures.Events();
      PrivateEgress egress = Fixtures.egress(env, events);
      try (UnifiedJedis redis = PrivateRedis.connect(egress)) {
        assertThat(redis.incr("counter")).isEqualTo(1);
        assertThat(redis.incr("counter")).isEqualTo(2);
      }
      assertThat(events.retries).as("the dead address is skipped within the same connect").isEmpty();

      DoctorReport report = egress.doctor(List.of("redis://cache.test:" + n.port()));
      CheckResult tcp = row(report, CheckKind.TCP);
      CheckResult redisRow = row(report, CheckKind.REDIS);
      assertThat(tcp.ok()).isTrue();
      assertThat(redisRow.ok()).as(redisRow.toString()).isTrue();
      assertThat(tcp.detail()).contains("127.0.0.1:" + n.port());
      assertThat(redisRow.detail()).as("both rows mean the same address").contains("via 127.0.0.1:" + n.port());
    }
  }

  @Test
  void aReplyTimeoutIsReportedAsATimeoutNotAConnectFailure() {
    try (RedisNode n = RedisLauncher.startPlain(); FaultProxy proxy = FaultProxy.start(n.port())) {
      Fixtures.Events events = new Fixtures.Events();
      PrivateEgress egress = Fixtures.egress(Map.of("REDIS_URL", "redis://127.0.0.1:" + proxy.port()), events);
      try (UnifiedJedis redis = PrivateRedis.builder(egress).socketTimeout(Duration.ofMillis(300)).build()) {
        redis.incr("counter");
        proxy.forgetOpenConnections();
        assertThatThrownBy(() -> redis.incr("counter")).isInstanceOf(AmbiguousCommandException.class)
            .hasMessageContaining("SocketTimeoutException");
      }
      assertThat(events.attempts).last().asString().endsWith(" timeout");
      assertThat(events.attempts).noneMatch(a -> a.endsWith(" connect"));
    }
  }

  @Test
  void refusalsAndResetsKeepTheirOwnOutcome() throws InterruptedException {
    try (RedisNode n = RedisLauncher.startPlain(); FaultProxy proxy = FaultProxy.start(n.port())) {
      Fixtures.Events events = new Fixtures.Events();
      PrivateEgress egress = Fixtures.egress(Map.of("REDIS_URL", "redis://127.0.0.1:" + proxy.port()), events);
      try (UnifiedJedis redis = PrivateRedis.builder(egress).clientName("named").build()) {
        proxy.refuseConnections();
        assertThatThrownBy(() -> redis.get("k")).hasMessageContaining("refused");
        assertThat(events.attempts).isNotEmpty().allMatch(a -> a.endsWith(" connect"));
        Thread.sleep(100); // past the time a failed connect answers for the commands after it (a lower bound)
        events.attempts.clear();
        proxy.acceptConnections().defaultBehavior(FaultProxy.Behavior.reset());
        assertThatThrownBy(() -> redis.get("k")).hasMessageContaining("closed the connection during setup");
        assertThat(events.attempts).isNotEmpty().allMatch(a -> a.endsWith(" reset"));
      }
    }
  }

  @Test
  void theStartupGraceServesTheFirstConnectionOnly() {
    try (RedisNode n = RedisLauncher.startPlain(); FaultProxy proxy = FaultProxy.start(n.port())) {
      Fixtures.Events events = new Fixtures.Events();
      // On Cloud Run with Direct VPC the grace window is open for the whole test.
      PrivateEgress egress = PrivateEgress.builder().environment(Map.of("K_SERVICE", "svc", "K_REVISION", "svc-1",
              "K_CONFIGURATION", "svc", "PRIVATE_EGRESS_MODE", "direct-vpc", "PRIVATE_EGRESS_LOOKUP", "off",
              "NO_GCE_CHECK", "true", "PRIVATE_EGRESS_STARTUP_GRACE", "PT90S",
              "REDIS_URL", "redis://127.0.0.1:" + proxy.port()))
          .listener(events)
          .retryPolicy(RetryPolicy.defaults().withBackoff(Duration.ofMillis(1), Duration.ofMillis(5))
              .withDeadline(Duration.ofSeconds(10)).withStartupGraceMaxAttempts(8))
          .build();
      assertThat(egress.inStartupGrace()).isTrue();
      try (UnifiedJedis redis = PrivateRedis.builder(egress).build()) {
        proxy.refuseConnections();
        assertThatThrownBy(() -> redis.get("k")).hasMessageContaining("refused");
        assertThat(events.attempts).as("the first connection gets the grace's attempts").hasSize(8);
        proxy.acceptConnections();
        assertThat(redis.incr("counter")).isEqualTo(1);
        Fixtures.pool(redis).clear();
        proxy.refuseConnections();
        events.attempts.clear();
        assertThatThrownBy(() -> redis.get("k")).hasMessageContaining("gave up after 3 attempts");
        assertThat(events.attempts).as("after a connection, an outage is retried as usual").hasSize(3);
      }
    }
  }

  private static CheckResult row(DoctorReport report, CheckKind kind) {
    return report.checks().stream().filter(r -> r.check() == kind).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " row in " + report));
  }
}
