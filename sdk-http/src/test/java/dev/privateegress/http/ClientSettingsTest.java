package dev.privateegress.http;

import static dev.privateegress.http.Fixtures.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.PrivateEgress;
import dev.privateegress.http.internal.CallInterceptor;
import dev.privateegress.http.internal.WireInterceptor;
import java.time.Duration;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

class ClientSettingsTest {
  private final PrivateEgress egress = PrivateEgress.builder()
      .environment(Map.of("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1"))
      .build();

  @Test
  void newClientUsesAShortConnectTimeoutAndFollowsRedirectsItself() {
    OkHttpClient client = PrivateHttp.newClient(egress);
    assertThat(client.connectTimeoutMillis()).isEqualTo(5_000);
    assertThat(client.followRedirects()).isFalse(); // OkHttp's own following is off; the SDK follows
    assertThat(client.interceptors()).filteredOn(i -> i instanceof CallInterceptor).hasSize(1);
    assertThat(client.networkInterceptors()).filteredOn(i -> i instanceof WireInterceptor).hasSize(1);
    assertThat(PrivateHttp.retry(client).getName()).isEqualTo("private-egress-http");
    // the Retry reports the policy's limit; the SDK applies it
    assertThat(PrivateHttp.retry(client).getRetryConfig().getMaxAttempts())
        .isEqualTo(egress.retryPolicy().maxAttempts());
    // exactly one layer retries, and the deadline bounds the whole call (a trickling server included)
    assertThat(client.retryOnConnectionFailure()).isFalse();
    assertThat(client.callTimeoutMillis()).isEqualTo(egress.retryPolicy().deadline().toMillis());
  }

  @Test
  void configureKeepsAConnectTimeoutTheUserChose() {
    OkHttpClient client = PrivateHttp.configure(egress,
        new OkHttpClient.Builder().connectTimeout(Duration.ofSeconds(30))).build();
    assertThat(client.connectTimeoutMillis()).isEqualTo(30_000);
  }

  @Test
  void configuringAnSdkClientAgainDoesNotStackAndKeepsTheRedirectPolicy() throws Exception {
    try (MockWebServer server = Fixtures.server()) {
      server.enqueue(new MockResponse.Builder().code(302).setHeader("Location", "/next").build());
      server.enqueue(status(200));
      OkHttpClient client = PrivateHttp.configure(egress, PrivateHttp.newClient(egress).newBuilder()).build();
      assertThat(client.interceptors()).filteredOn(i -> i instanceof CallInterceptor).hasSize(1);
      assertThat(client.networkInterceptors()).filteredOn(i -> i instanceof WireInterceptor).hasSize(1);
      try (Response r = client.newCall(new Request.Builder()
          .url("http://my.api.private:" + server.getPort() + "/").build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
      }
    }
  }

  @Test
  void retryOfAForeignClientIsRefusedWithAClearMessage() {
    assertThatThrownBy(() -> PrivateHttp.retry(new OkHttpClient()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not made by PrivateHttp");
  }

  @Test
  void idempotentTagIsVisibleOnTheRequest() {
    Request r = PrivateHttp.idempotent(new Request.Builder().url("http://my.api.private/")).build();
    assertThat(Idempotent.isTagged(r)).isTrue();
    assertThat(Idempotent.isTagged(new Request.Builder().url("http://my.api.private/").build())).isFalse();
  }
}
