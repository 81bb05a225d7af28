package dev.privateegress.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Memorystore name rule core's TLS check shares with the Redis client, on real keytool certificates. */
class CertNamesTest {
  @TempDir static Path dir;
  static X509Certificate ipAsCn;
  static X509Certificate ipAsCnWithOtherIpSan;
  static X509Certificate wildcard;

  @BeforeAll
  static void certificates() throws Exception {
    ipAsCn = cert("cn", "CN=10.0.0.5", null);
    ipAsCnWithOtherIpSan = cert("san", "CN=10.0.0.5", "SAN=ip:10.0.0.6");
    wildcard = cert("wild", "CN=ignored.example.test", "SAN=dns:*.example.test");
  }

  static X509Certificate cert(String alias, String dname, String ext) throws Exception {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Path store = dir.resolve(alias + ".p12");
    List<String> gen = new ArrayList<>(List.of(keytool.toString(), "-genkeypair", "-keystore", store.toString(),
        "-storepass", "changeit", "-alias", alias, "-keyalg", "EC", "-dname", dname, "-validity", "2"));
    if (ext != null) {
      gen.addAll(List.of("-ext", ext));
    }
    run(gen);
    Path pem = dir.resolve(alias + ".pem");
    run(List.of(keytool.toString(), "-exportcert", "-rfc", "-keystore", store.toString(), "-storepass",
        "changeit", "-alias", alias, "-file", pem.toString()));
    try (InputStream in = Files.newInputStream(pem)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  static void run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve("keytool.log").toFile()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(dir.resolve("keytool.log"))).isZero();
  }

  @Test
  void anIpAsCnCountsOnlyWithoutIpSans() {
    assertThat(CertNames.mismatch(ipAsCn, List.of("10.0.0.5"))).isEmpty();
    assertThat(CertNames.mismatch(ipAsCn, List.of("10.0.0.9", "cache.internal.test"))).isPresent();
    assertThat(CertNames.mismatch(ipAsCnWithOtherIpSan, List.of("10.0.0.5")))
        .hasValue("CN=10.0.0.5, IP SANs [10.0.0.6], DNS SANs []");
    assertThat(CertNames.mismatch(ipAsCnWithOtherIpSan, List.of("10.0.0.6"))).isEmpty();
  }

  @Test
  void dnsNamesMatchSansWithOneWildcardLabel() {
    assertThat(CertNames.mismatch(wildcard, List.of("10.0.0.5", "cache.example.test"))).isEmpty();
    assertThat(CertNames.mismatch(wildcard, List.of("a.cache.example.test"))).isPresent();
    assertThat(CertNames.mismatch(wildcard, List.of("ignored.example.test.x"))).isPresent();
  }
}
