package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.privateegress.CheckKind;
import dev.privateegress.CheckResult;
import dev.privateegress.DoctorReport;
import dev.privateegress.redis.internal.RedisTls;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import dev.privateegress.testing.TlsMaterial;
import dev.privateegress.ConfigurationException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;

/** TLS against a real redis-server; skipped where {@link RedisLauncher#tlsAvailable()} says no. */
class TlsTest {
  private static TlsMaterial tls;
  private static TlsMaterial otherCa;
  private static RedisNode node;

  @BeforeAll
  static void start() {
    assumeTrue(RedisLauncher.tlsAvailable(), "openssl missing or redis-server without TLS");
    tls = TlsMaterial.generate();
    otherCa = TlsMaterial.generate();
    node = RedisLauncher.builder().tls(tls).requirePass("tls-auth").start();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    if (tls != null) {
      tls.close();
    }
    if (otherCa != null) {
      otherCa.close();
    }
  }

  private static Map<String, String> tlsEnv(Path ca) {
    return Map.of("REDIS_URL", node.tlsUrl(), "REDIS_AUTH", "tls-auth", "REDIS_TLS_CA", ca.toString());
  }

  @Test
  void rightCaWorksAndTheIpIsVerified() {
    try (UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(tlsEnv(tls.caCertificate())))) {
      assertThat(redis.set("t", "1")).isEqualTo("OK");
      assertThat(redis.incr("t")).isEqualTo(2L);
    }
  }

  @Test
  void bundleWithSeveralCasWorksDuringRotation(@TempDir Path dir) {
    Path bundle = TlsMaterial.bundle(dir.resolve("bundle.pem"), otherCa, tls);
    try (UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(tlsEnv(bundle)))) {
      assertThat(redis.ping()).isEqualTo("PONG");
    }
  }

  @Test
  void wrongCaFailsClosedWithAClearError() {
    Fixtures.Events events = new Fixtures.Events();
    try (UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(tlsEnv(otherCa.caCertificate()), events))) {
      assertThatThrownBy(() -> redis.set("never", "written"))
          .isInstanceOf(JedisException.class)
          .hasMessageContaining("not signed by any CA in REDIS_TLS_CA=" + otherCa.caCertificate())
          .hasMessageContaining("rotation");
      assertThat(events.retries).as("a trust failure is not retried").isEmpty();
    }
    assertThat(node.command("EXISTS", "never")).isEqualTo(0L);
  }

  @Test
  void plaintextToTheTlsPortFailsWithAPortHint() {
    try (UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of(
        "REDISHOST", "127.0.0.1", "REDISPORT", Integer.toString(node.tlsPort()), "REDIS_AUTH", "tls-auth")))) {
      assertThatThrownBy(redis::ping).isInstanceOf(JedisException.class)
          .hasMessageContaining("6378").hasMessageContaining("rediss://").hasMessageContaining("REDIS_TLS_CA");
    }
  }

  @Test
  void tlsToThePlaintextPortFailsWithAHandshakeHint() {
    try (UnifiedJedis redis = PrivateRedis.builder(Fixtures.egress(Map.of(
        "REDIS_URL", "rediss://127.0.0.1:" + node.port(), "REDIS_AUTH", "tls-auth",
        "REDIS_TLS_CA", tls.caCertificate().toString()))).socketTimeout(java.time.Duration.ofMillis(500)).build()) {
      assertThatThrownBy(redis::ping).isInstanceOf(JedisException.class)
          .hasMessageContaining("TLS handshake failed").hasMessageContaining("6379").hasMessageContaining("6378");
    }
  }

  @Test
  void nameChecksAcceptTheIpSanAndRejectOtherNames() throws Exception {
    X509Certificate cert;
    try (InputStream in = Files.newInputStream(tls.serverCertificate())) {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    RedisTls.verifyName("127.0.0.1", Set.of(), cert);
    RedisTls.verifyName("localhost", Set.of(), cert);
    RedisTls.verifyName("10.0.0.9", Set.of("localhost"), cert); // dialled via an override of "localhost"
    assertThatThrownBy(() -> RedisTls.verifyName("10.0.0.9", Set.of(), cert))
        .isInstanceOf(SSLPeerUnverifiedException.class).hasMessageContaining("does not name 10.0.0.9");
    assertThatThrownBy(() -> RedisTls.verifyName("redis.example", Set.of(), cert))
        .isInstanceOf(SSLPeerUnverifiedException.class);
  }

  @Test
  void unusableCaFileIsAConfigurationErrorNamingTheVariable(@TempDir Path dir) throws Exception {
    Path notPem = Files.writeString(dir.resolve("server-ca.pem"), "this is not a certificate\n");
    assertThatThrownBy(() -> PrivateRedis.connect(Fixtures.egress(tlsEnv(notPem))))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("REDIS_TLS_CA")
        .hasMessageContaining(notPem.toString())
        .hasMessageContaining("BEGIN CERTIFICATE")
        .hasMessageContaining("server-ca.pem");
  }

  @Test
  void doctorChecksTlsWithTheConfiguredBundleThenAuthAndPing() {
    DoctorReport report = Fixtures.egress(tlsEnv(tls.caCertificate())).doctor(node.tlsUrl());
    assertThat(report.checks()).extracting(CheckResult::check)
        .containsExactly(CheckKind.DNS, CheckKind.TCP, CheckKind.TLS, CheckKind.REDIS);
    assertThat(report.checks()).allMatch(CheckResult::ok, "all ok");
    assertThat(report.checks().get(2).detail()).contains("REDIS_TLS_CA");
    assertThat(report.checks().get(3).detail()).contains("PONG").doesNotContain("tls-auth");
  }

  @Test
  void doctorExplainsAnUntrustedServer() {
    DoctorReport report = Fixtures.egress(tlsEnv(otherCa.caCertificate())).doctor(node.tlsUrl());
    CheckResult tlsCheck = report.checks().get(2);
    assertThat(tlsCheck.check()).isEqualTo(CheckKind.TLS);
    assertThat(tlsCheck.ok()).isFalse();
    assertThat(tlsCheck.advice()).contains("not signed by any CA in REDIS_TLS_CA");
  }
}
