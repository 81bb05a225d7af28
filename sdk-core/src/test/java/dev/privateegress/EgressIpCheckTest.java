package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PRIVATE_EGRESS_STATIC_IP / PRIVATE_EGRESS_IP_ECHO and the {@code egress-ip} check against a real echo on
 * loopback (it answers the caller's address, 127.0.0.1). The network lab's DoctorLabTest shows the same check
 * telling the scopes apart through real NAT.
 */
class EgressIpCheckTest {
  HttpServer echo;
  String echoUrl;

  @BeforeEach
  void startEcho() throws Exception {
    echo = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    echo.createContext("/", ex -> {
      byte[] body = (ex.getRemoteAddress().getAddress().getHostAddress() + "\n").getBytes(StandardCharsets.US_ASCII);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    echo.start();
    echoUrl = "http://127.0.0.1:" + echo.getAddress().getPort() + "/ip";
  }

  @AfterEach
  void stopEcho() {
    echo.stop(0);
  }

  private PrivateEgress egress(String... kv) {
    Map<String, String> env = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      env.put(kv[i], kv[i + 1]);
    }
    return PrivateEgress.builder().environment(env).build();
  }

  private static CheckResult egressIp(DoctorReport report) {
    return report.checks().stream().filter(c -> c.check() == CheckKind.EGRESS_IP).findFirst().orElseThrow();
  }

  @Test
  void theStaticAddressSeenByTheEchoPasses() {
    DoctorReport r = egress("PRIVATE_EGRESS_STATIC_IP", "127.0.0.1", "PRIVATE_EGRESS_IP_ECHO", echoUrl).doctor();
    CheckResult c = egressIp(r);
    assertThat(c.ok()).isTrue();
    assertThat(c.detail()).isEqualTo("public traffic leaves from 127.0.0.1, the static address PRIVATE_EGRESS_STATIC_IP");
    assertThat(r.toJson()).contains("\"check\":\"egress-ip\"");
  }

  @Test
  void anotherAddressUnderPrivateRangesOnlyNamesTheScope() {
    CheckResult c = egressIp(egress("PRIVATE_EGRESS_STATIC_IP", "198.51.100.7", "PRIVATE_EGRESS_IP_ECHO", echoUrl,
        "PRIVATE_EGRESS_SCOPE", "private-ranges-only").doctor());
    assertThat(c.ok()).isFalse();
    assertThat(c.detail()).isEqualTo("public traffic leaves from 127.0.0.1, not from the static address 198.51.100.7");
    assertThat(c.advice()).startsWith("private-ranges-only sends public traffic without Cloud NAT")
        .contains("all-traffic");
  }

  @Test
  void anotherAddressUnderAllTrafficNamesCloudNat() {
    CheckResult c = egressIp(egress("PRIVATE_EGRESS_STATIC_IP", "198.51.100.7", "PRIVATE_EGRESS_IP_ECHO", echoUrl,
        "PRIVATE_EGRESS_SCOPE", "all-traffic").doctor());
    assertThat(c.advice()).startsWith("Cloud NAT is not configured for the subnet with the static address");
  }

  @Test
  void anUnknownScopeGivesBothCauses() {
    CheckResult c = egressIp(egress("PRIVATE_EGRESS_STATIC_IP", "198.51.100.7", "PRIVATE_EGRESS_IP_ECHO", echoUrl)
        .doctor());
    assertThat(c.advice()).startsWith("private-ranges-only sends public traffic without Cloud NAT")
        .contains("Cloud NAT is not configured").contains("PRIVATE_EGRESS_SCOPE");
  }

  @Test
  void anUnreachableEchoUnderAllTrafficMeansNoNat() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    CheckResult c = egressIp(egress("PRIVATE_EGRESS_STATIC_IP", "198.51.100.7", "PRIVATE_EGRESS_IP_ECHO",
        "http://127.0.0.1:" + closed + "/", "PRIVATE_EGRESS_SCOPE", "all-traffic").doctor());
    assertThat(c.ok()).isFalse();
    assertThat(c.detail()).contains("no answer from the address echo").contains("refused");
    assertThat(c.advice()).startsWith("all-traffic without Cloud NAT").contains("198.51.100.7");
  }

  @Test
  void awaitReadyWaitsForTheStaticAddress() {
    PrivateEgress e = egress("PRIVATE_EGRESS_STATIC_IP", "198.51.100.7", "PRIVATE_EGRESS_IP_ECHO", echoUrl,
        "PRIVATE_EGRESS_SCOPE", "private-ranges-only");
    assertThatThrownBy(() -> e.awaitReady(List.of(), Duration.ofMillis(300)))
        .isInstanceOf(NotReadyException.class)
        .hasMessageContaining("egress-ip: public traffic leaves from 127.0.0.1")
        .hasMessageContaining("-> private-ranges-only sends public traffic without Cloud NAT");
    PrivateEgress ok = egress("PRIVATE_EGRESS_STATIC_IP", "127.0.0.1", "PRIVATE_EGRESS_IP_ECHO", echoUrl);
    assertThat(ok.awaitReady(List.of(), Duration.ofSeconds(2))).extracting(CheckResult::check)
        .containsExactly(CheckKind.EGRESS_IP);
  }

  @Test
  void badValuesAreRefusedNamingTheVariable() {
    assertThatThrownBy(() -> egress("PRIVATE_EGRESS_STATIC_IP", "nat.example.com", "PRIVATE_EGRESS_IP_ECHO", echoUrl))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("PRIVATE_EGRESS_STATIC_IP=nat.example.com is invalid: expected one IPv4 or IPv6");
    assertThatThrownBy(() -> egress("PRIVATE_EGRESS_STATIC_IP", "198.51.100.7"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("PRIVATE_EGRESS_IP_ECHO is not set: PRIVATE_EGRESS_STATIC_IP is set");
    assertThatThrownBy(() -> egress("PRIVATE_EGRESS_IP_ECHO", "ftp://echo.example/"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("PRIVATE_EGRESS_IP_ECHO=ftp://echo.example/ is invalid: expected http(s)://");
    assertThatThrownBy(() -> PrivateEgress.builder().environment(Map.of())
        .systemProperties(Map.of("private.egress.static.ip", "300.1.1.1", "private.egress.ip.echo", echoUrl)).build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("private.egress.static.ip=300.1.1.1 is invalid");
    PrivateEgress built = PrivateEgress.builder().environment(Map.of()).staticIp("[2001:db8::7]").ipEcho(echoUrl).build();
    assertThat(built.config().staticIp()).hasValueSatisfying(a -> assertThat(a.getHostAddress()).isEqualTo("2001:db8:0:0:0:0:0:7"));
    assertThat(built.config().toString()).contains("staticIp=2001:db8:0:0:0:0:0:7");
  }

  @Test
  void withoutTheVariablesThereIsNoEgressIpCheck() {
    assertThat(egress().doctor("tcp://127.0.0.1:" + echo.getAddress().getPort()).checks())
        .noneMatch(c -> c.check() == CheckKind.EGRESS_IP);
  }
}
