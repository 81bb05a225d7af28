package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.CheckKind;
import dev.privateegress.CheckResult;
import dev.privateegress.DoctorReport;
import dev.privateegress.NotReadyException;
import dev.privateegress.PrivateEgress;
import dev.privateegress.testing.RedisLauncher;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedisCheckerTest {

  @Test
  void doctorRunsDnsTcpThenAuthAndPingWithConfiguredCredentials() {
    try (RedisLauncher.Node n = RedisLauncher.builder().requirePass("doctor-secret").start()) {
      PrivateEgress egress = Fixtures.egress(Map.of("REDISHOST", "127.0.0.1", "REDISPORT",
          Integer.toString(n.port()), "REDIS_AUTH", "doctor-secret"));
      DoctorReport report = egress.doctor("redis://127.0.0.1:" + n.port());
      assertThat(report.checks()).extracting(CheckResult::check)
          .containsExactly(CheckKind.DNS, CheckKind.TCP, CheckKind.REDIS);
      assertThat(report.checks()).allMatch(CheckResult::ok);
      assertThat(report.checks().get(2).detail()).contains("PONG").contains("REDIS_AUTH")
          .doesNotContain("doctor-secret");
    }
  }

  @Test
  void wrongPasswordInTheTargetIsExplainedAndReported() {
    Fixtures.Events events = new Fixtures.Events();
    try (RedisLauncher.Node n = RedisLauncher.builder().requirePass("right").start()) {
      PrivateEgress egress = Fixtures.egress(Map.of(), events);
      DoctorReport report = egress.doctor("redis://:wrong-pw@127.0.0.1:" + n.port());
      CheckResult redis = report.checks().get(2);
      assertThat(redis.ok()).isFalse();
      assertThat(redis.advice()).contains("wrong AUTH string");
      assertThat(redis.target()).doesNotContain("wrong-pw");
      assertThat(redis.detail() + redis.advice()).doesNotContain("wrong-pw");
      assertThat(events.authFailures).hasSize(1);
    }
  }

  @Test
  void plaintextDoctorAgainstATlsPortHintsAt6378() {
    org.junit.jupiter.api.Assumptions.assumeTrue(RedisLauncher.tlsAvailable(),
        "openssl missing or redis-server without TLS");
    try (var tls = dev.privateegress.testing.TlsMaterial.generate()) {
      try (RedisLauncher.Node n = RedisLauncher.builder().tls(tls).start()) {
        DoctorReport report = Fixtures.egress(Map.of()).doctor("redis://127.0.0.1:" + n.tlsPort());
        CheckResult redis = report.checks().get(2);
        assertThat(redis.ok()).isFalse();
        assertThat(redis.advice()).contains("6378").contains("rediss://");
      }
    }
  }

  @Test
  void awaitReadyWaitsForTheServerAndFailsWithAReason() {
    try (RedisLauncher.Node n = RedisLauncher.startPlain()) {
      PrivateEgress egress = Fixtures.egress(Map.of());
      List<CheckResult> ready = egress.awaitReady("redis://127.0.0.1:" + n.port(), Duration.ofSeconds(30));
      assertThat(ready).extracting(CheckResult::check).contains(CheckKind.REDIS);
      int port = n.port();
      n.kill();
      assertThatThrownBy(() -> egress.awaitReady("redis://127.0.0.1:" + port, Duration.ofMillis(300)))
          .isInstanceOf(NotReadyException.class).hasMessageContaining("tcp");
    }
  }
}
