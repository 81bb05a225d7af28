package dev.privateegress.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.CheckKind;
import dev.privateegress.CheckResult;
import dev.privateegress.PrivateEgress;
import dev.privateegress.Target;
import dev.privateegress.spi.TargetChecker.Purpose;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/** Doctor and readiness checks derive their clients from one shared base instead of building one each. */
class ChecksClientTest {
  private static PrivateEgress egress() {
    return PrivateEgress.builder()
        .environment(Map.of("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1", "PRIVATE_EGRESS_LOOKUP", "off"))
        .build();
  }

  @Test
  void checkClientsShareOnePoolAndKeepTheirOwnTimeoutsAndEgress() {
    PrivateEgress first = egress();
    PrivateEgress second = egress();
    OkHttpClient a = HttpClients.forChecks(first, Duration.ofSeconds(1));
    OkHttpClient b = HttpClients.forChecks(first, Duration.ofSeconds(2));
    OkHttpClient c = HttpClients.forChecks(second, Duration.ofSeconds(3));

    assertThat(a.connectionPool()).isSameAs(b.connectionPool()).isSameAs(c.connectionPool());
    assertThat(List.of(a.connectTimeoutMillis(), a.readTimeoutMillis(), a.writeTimeoutMillis(), a.callTimeoutMillis()))
        .containsOnly(1_000);
    assertThat(b.callTimeoutMillis()).isEqualTo(2_000);
    assertThat(c.callTimeoutMillis()).isEqualTo(3_000);
    for (OkHttpClient client : List.of(a, b, c)) {
      assertThat(client.followRedirects()).isFalse();
      // exactly one SDK interceptor and one guard: nothing stacks up on the shared base
      assertThat(client.interceptors()).hasSize(1).allMatch(CallInterceptor.class::isInstance);
      assertThat(client.networkInterceptors()).hasSize(1).allMatch(WireInterceptor.class::isInstance);
      assertThat(client.dns()).isInstanceOf(EgressDns.class);
    }
    // each check client resolves through its own egress
    assertThat(a.dns()).isNotSameAs(c.dns());
    Interceptor ia = a.interceptors().get(0);
    Interceptor ic = c.interceptors().get(0);
    assertThat(ia).isNotSameAs(ic);
  }

  @Test
  void readinessRoundsReuseThePoolAndLeaveNoConnectionBehind() throws Exception {
    try (MockWebServer api = new MockWebServer()) {
      api.start();
      PrivateEgress egress = egress();
      Target target = Target.parse("http://my.api.private:" + api.getPort() + "/healthz");
      OkHttpClient probe = HttpClients.forChecks(egress, Duration.ofSeconds(3));
      for (int round = 0; round < 3; round++) {
        api.enqueue(new MockResponse.Builder().code(round < 2 ? 503 : 200).build());
        List<CheckResult> results = new HttpChecker().check(egress.checkContext(), target, Purpose.READINESS, Duration.ofSeconds(3));
        CheckResult http = results.get(results.size() - 1);
        assertThat(http.check()).isEqualTo(CheckKind.HTTP);
        assertThat(http.ok()).isEqualTo(round == 2);
        assertThat(probe.connectionPool().connectionCount()).isZero();
      }
      assertThat(api.getRequestCount()).isEqualTo(3);
    }
  }
}
