package dev.privateegress.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.PrivateEgress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.junit.jupiter.api.Test;

class DnsTest {
  @Test
  void overridesAnswerWithoutAnyLookup() throws Exception {
    AtomicInteger lookups = new AtomicInteger();
    PrivateEgress egress = PrivateEgress.builder()
        .environment(Map.of("PRIVATE_EGRESS_HOSTS", "my.api.private=10.8.0.5,my.api.private=10.8.0.6"))
        .build();
    OkHttpClient client = PrivateHttp.configure(egress, new OkHttpClient.Builder().dns(host -> {
      lookups.incrementAndGet();
      throw new UnknownHostException(host);
    })).build();
    List<InetAddress> addresses = client.dns().lookup("My.Api.Private");
    assertThat(addresses).extracting(InetAddress::getHostAddress).containsExactly("10.8.0.5", "10.8.0.6");
    assertThat(lookups).hasValue(0);
  }

  @Test
  void unresolvedPrivateNameExplainsTheLikelyCause() {
    AtomicInteger lookups = new AtomicInteger();
    PrivateEgress egress = PrivateEgress.builder().environment(Map.of("PRIVATE_EGRESS_MODE", "none")).build();
    // The user's own resolver stands in for a system resolver that has never heard of the private zone.
    OkHttpClient client = PrivateHttp.configure(egress, new OkHttpClient.Builder().dns(host -> {
      lookups.incrementAndGet();
      throw new UnknownHostException(host + ": Name or service not known");
    })).build();
    assertThatThrownBy(() -> client.newCall(new Request.Builder().url("http://nowhere.private/").build()).execute())
        .isInstanceOf(UnknownHostException.class)
        .hasMessageContaining("nowhere.private does not resolve")
        .hasMessageContaining("no VPC egress (mode none")
        .hasMessageContaining("PRIVATE_EGRESS_HOSTS=nowhere.private=127.0.0.1");
    assertThat(lookups).hasValue(1); // a DNS failure is not retried
  }

  @Test
  void publicAddressUnderPrivateRangesOnlyIsWarnedAboutOncePerHost() throws Exception {
    String warnings = stderrOf(() -> {
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("PRIVATE_EGRESS_SCOPE", "private-ranges-only",
              "PRIVATE_EGRESS_HOSTS", "pub.example=203.0.113.7,priv.example=10.0.0.7"))
          .build();
      OkHttpClient client = PrivateHttp.newClient(egress);
      for (int i = 0; i < 3; i++) {
        client.dns().lookup("pub.example");
        client.dns().lookup("priv.example");
      }
    });
    List<String> warned = warnings.lines().filter(l -> l.contains(" WARN ")).toList();
    assertThat(warned).hasSize(1);
    assertThat(warned.get(0)).contains("pub.example resolves to public address 203.0.113.7")
        .contains("bypasses the VPC");
  }

  @Test
  void noWarningWithAllTrafficEgress() throws Exception {
    String warnings = stderrOf(() -> {
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("PRIVATE_EGRESS_SCOPE", "all-traffic", "PRIVATE_EGRESS_HOSTS", "pub.example=203.0.113.7"))
          .build();
      PrivateHttp.newClient(egress).dns().lookup("pub.example");
    });
    assertThat(warnings).contains("pub.example").doesNotContain(" WARN ");
  }

  interface Body {
    void run() throws Exception;
  }

  private static String stderrOf(Body body) throws Exception {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      body.run();
    } finally {
      System.setErr(original);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }
}
