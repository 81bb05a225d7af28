package dev.privateegress.http.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.PrivateEgress;
import dev.privateegress.http.PrivateHttp;
import dev.privateegress.testing.FaultProxy;
import dev.privateegress.testing.NoDelayServerSocketFactory;
import java.time.Duration;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * A pooled connection idle past the limit, whose flow the path forgot without a FIN or RST (a NAT mapping or a
 * conntrack entry that expired): the next call must not write into it. Here the limit is 300 ms and the path a
 * {@link FaultProxy} that swallows the old connection's bytes.
 */
class IdleLimitTest {
  @Test
  void aPlainPostAfterTheIdleLimitGoesOutOnANewConnectionAndSucceeds() throws Exception {
    try (MockWebServer server = new MockWebServer()) {
      server.setServerSocketFactory(new NoDelayServerSocketFactory());
      server.start();
      try (FaultProxy path = FaultProxy.start(server.getPort())) {
        OkHttpClient configured = PrivateHttp.idleLimit(PrivateHttp.configure(
            PrivateEgress.builder().environment(Map.of()).build(),
            new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(3))), Duration.ofMillis(300)).build();
        // configured again from a derived builder (as a user adding an interceptor would): the limit stays
        OkHttpClient client = PrivateHttp.configure(PrivateEgress.builder().environment(Map.of()).build(),
            configured.newBuilder()).build();
        String url = "http://127.0.0.1:" + path.port() + "/orders";
        server.enqueue(new MockResponse.Builder().body("first").build());
        try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
          assertThat(r.body().string()).isEqualTo("first");
        }
        Thread.sleep(500); // idle past the limit
        path.forgetOpenConnections(); // the path drops the idle flow silently
        server.enqueue(new MockResponse.Builder().body("second").build());
        long t0 = System.nanoTime();
        Request post = new Request.Builder().url(url)
            .post(RequestBody.create("order", MediaType.get("text/plain"))).build();
        try (Response r = client.newCall(post).execute()) {
          assertThat(r.body().string()).isEqualTo("second");
        }
        System.out.println("RELIABILITY http idle limit 300 ms, flow forgotten by the path: POST ok in "
            + (System.nanoTime() - t0) / 1_000_000 + " ms on connection " + path.acceptedConnections()
            + " (server saw " + server.getRequestCount() + " requests)");
        assertThat(path.acceptedConnections()).as("a new connection for the POST").isEqualTo(2);
        assertThat(server.getRequestCount()).isEqualTo(2);
      }
    }
  }

  @Test
  void aLimitThatIsNotPositiveOrABuilderWithoutSdkSettingsIsRefusedWithTheFix() {
    OkHttpClient.Builder configured = PrivateHttp.configure(PrivateEgress.builder().environment(Map.of()).build(),
        new OkHttpClient.Builder());
    assertThatThrownBy(() -> PrivateHttp.idleLimit(configured, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT0S").hasMessageContaining("positive");
    assertThatThrownBy(() -> PrivateHttp.idleLimit(new OkHttpClient.Builder(), Duration.ofMinutes(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PrivateHttp.configure");
  }
}
