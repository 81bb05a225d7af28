package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.CheckKind;
import dev.privateegress.CheckResult;
import dev.privateegress.DoctorReport;
import dev.privateegress.NotReadyException;
import dev.privateegress.PrivateEgress;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.UnifiedJedis;
import org.junit.jupiter.api.Test;

class RedisCheckerTest {

  @Test
  void doctorRunsDnsTcpThenAuthAndPingWithConfiguredCredentials() {
    try (RedisNode n = RedisLauncher.builder().requirePass("doctor-secret").start()) {
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
    try (RedisNode n = RedisLauncher.builder().requirePass("right").start()) {
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
  void aServerThatEchoesTheAuthArgumentsLeaksNoPassword() throws Exception {
    // Redis with AUTH renamed away answers like this; a loopback server that speaks just that line.
    try (java.net.ServerSocket echo = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Thread server = new Thread(() -> {
        while (!echo.isClosed()) {
          try (java.net.Socket s = echo.accept()) {
            s.getInputStream().read(new byte[4096]);
            s.getOutputStream().write(("-ERR unknown command 'AUTH', with args beginning with: 'app' "
                + "'Echoed-S3cret' \r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            s.getInputStream().read(new byte[4096]); // until the client hangs up
          } catch (java.io.IOException e) {
            // next connection, or closed
          }
        }
      });
      server.setDaemon(true);
      server.start();
      String url = "redis://app:Echoed-S3cret@127.0.0.1:" + echo.getLocalPort();
      CheckResult redis = Fixtures.egress(Map.of()).doctor(url).checks().get(2);
      assertThat(redis.ok()).isFalse();
      assertThat(redis.detail()).contains("unknown command").doesNotContain("Echoed-S3cret");
      try (UnifiedJedis client = PrivateRedis.connect(Fixtures.egress(Map.of("REDIS_URL", url)))) {
        assertThatThrownBy(client::ping).satisfies(e -> {
          java.io.StringWriter trace = new java.io.StringWriter();
          e.printStackTrace(new java.io.PrintWriter(trace));
          assertThat(trace.toString()).contains("unknown command").doesNotContain("Echoed-S3cret");
        });
      }
    }
  }

  @Test
  void plaintextDoctorAgainstATlsPortHintsAt6378() {
    org.junit.jupiter.api.Assumptions.assumeTrue(RedisLauncher.tlsAvailable(),
        "openssl missing or redis-server without TLS");
    try (var tls = dev.privateegress.testing.TlsMaterial.generate()) {
      try (RedisNode n = RedisLauncher.builder().tls(tls).start()) {
        DoctorReport report = Fixtures.egress(Map.of()).doctor("redis://127.0.0.1:" + n.tlsPort());
        CheckResult redis = report.checks().get(2);
        assertThat(redis.ok()).isFalse();
        assertThat(redis.advice()).contains("6378").contains("rediss://");
      }
    }
  }

  @Test
  void awaitReadyWaitsForTheServerAndFailsWithAReason() {
    try (RedisNode n = RedisLauncher.startPlain()) {
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
