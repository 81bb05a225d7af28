package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.internal.Pem;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.Test;

/** Core's TLS check against real TLS and plaintext servers on 127.0.0.1. */
class TlsCheckTest {
  static final Duration TIMEOUT = Duration.ofSeconds(3);

  static PrivateEgress egress(String... hosts) {
    PrivateEgressBuilder b = PrivateEgress.builder().environment(Map.of());
    for (String h : hosts) {
      b.host(h, "127.0.0.1");
    }
    return b.build();
  }

  static List<InetAddress> loopback() {
    return List.of(InetAddress.getLoopbackAddress());
  }

  @Test
  void handshakeReportsProtocolCipherPeerAndExpiry() throws Exception {
    try (TlsServer server = TlsServer.start(TlsServer.Kind.TLS)) {
      Target t = Target.parse("https://" + TlsServer.CERT_HOST + ":" + server.port() + "/");
      CheckResult r = egress(TlsServer.CERT_HOST).runtime().network().tls(t, loopback(), TIMEOUT,
          Pem.trusting(TlsServer.caPem()));
      assertThat(r.ok()).as(r.toString()).isTrue();
      assertThat(r.check()).isEqualTo(CheckKind.TLS);
      assertThat(r.detail()).startsWith("TLSv1.").contains("TLS_").contains("peer CN=" + TlsServer.CERT_HOST)
          .contains("expires ").contains("days").contains("hostname verified");
      assertThat(r.advice()).isEmpty();
    }
  }

  @Test
  void anUntrustedChainIsAWrongCaAndNamesTheIssuer() {
    try (TlsServer server = TlsServer.start(TlsServer.Kind.TLS)) {
      Target t = Target.parse("https://" + TlsServer.CERT_HOST + ":" + server.port() + "/");
      CheckResult r = egress(TlsServer.CERT_HOST).runtime().network().tls(t, loopback(), TIMEOUT,
          (SSLSocketFactory) SSLSocketFactory.getDefault());
      assertThat(r.ok()).isFalse();
      assertThat(r.detail()).contains("handshake failed");
      assertThat(r.advice()).startsWith("wrong CA").contains("issued by CN=" + TlsServer.CERT_HOST)
          .contains("trust store");
    }
  }

  @Test
  void aCertificateForAnotherNameIsAHostnameMismatchListingTheNamesItHas() throws Exception {
    try (TlsServer server = TlsServer.start(TlsServer.Kind.TLS)) {
      Target t = Target.parse("https://other.internal.test:" + server.port() + "/");
      CheckResult r = egress("other.internal.test").runtime().network().tls(t, loopback(), TIMEOUT,
          Pem.trusting(TlsServer.caPem()));
      assertThat(r.ok()).isFalse();
      assertThat(r.advice()).startsWith("hostname mismatch").contains("other.internal.test")
          .contains("DNS:" + TlsServer.CERT_HOST).contains("IP:127.0.0.1");
    }
  }

  @Test
  void aPlaintextServerIsRecognised() {
    try (TlsServer server = TlsServer.start(TlsServer.Kind.PLAINTEXT)) {
      Target t = Target.parse("https://127.0.0.1:" + server.port() + "/");
      CheckResult r = egress().runtime().network().tls(t, loopback(), TIMEOUT,
          (SSLSocketFactory) SSLSocketFactory.getDefault());
      assertThat(r.ok()).isFalse();
      assertThat(r.advice()).startsWith("plaintext port").contains("http://");
    }
  }

  @Test
  void aSilentServerProbablySpeaksPlaintext_andCoreAddsNoProtocolHint() {
    try (TlsServer server = TlsServer.start(TlsServer.Kind.SILENT)) {
      Target t = Target.parse("https://127.0.0.1:" + server.port() + "/");
      CheckResult r = egress().runtime().network().tls(t, loopback(), Duration.ofMillis(300),
          (SSLSocketFactory) SSLSocketFactory.getDefault());
      assertThat(r.ok()).isFalse();
      assertThat(r.advice()).startsWith("no TLS answer in 300 ms").contains("http://")
          .doesNotContain("6378").doesNotContain("Memorystore"); // Redis advice lives in sdk-redis
    }
  }

  @Test
  void aClosedPortGetsConnectAdvice() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Target t = Target.parse("https://127.0.0.1:" + port + "/");
    CheckResult r = egress().runtime().network().tls(t, loopback(), TIMEOUT,
        (SSLSocketFactory) SSLSocketFactory.getDefault());
    assertThat(r.ok()).isFalse();
    assertThat(r.detail()).contains("refused");
    assertThat(r.advice()).contains("nothing listens");
  }

  @Test
  void withoutSdkRedis_aRedisTargetGetsDnsAndTcpOnly() {
    try (TlsServer server = TlsServer.start(TlsServer.Kind.TLS)) {
      String url = "rediss://cache.internal.test:" + server.port();
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("REDIS_URL", url, "REDIS_TLS_CA", TlsServer.caPem().toString()))
          .host("cache.internal.test", "127.0.0.1")
          .build();
      DoctorReport report = egress.doctor(url);
      assertThat(report.checks()).extracting(CheckResult::check).containsExactly(CheckKind.DNS, CheckKind.TCP);
      assertThat(report.ok()).as(report.toText()).isTrue();
    }
  }
}
