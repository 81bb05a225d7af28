package dev.privateegress.http;

import dev.privateegress.PrivateEgressBuilder;
import static dev.privateegress.http.Fixtures.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.EgressConfig;
import dev.privateegress.EgressListener;
import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryBudget;
import dev.privateegress.testing.FakeMetadataServer;
import dev.privateegress.testing.MisbehavingHttpServer;
import dev.privateegress.testing.MutableClock;
import io.github.resilience4j.retry.Retry;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One test per defect of the HTTP reliability issue, each against a real server on loopback. */
class DefectsTest {
  private static final MediaType TEXT = MediaType.get("text/plain");
  private final Events events = new Events();
  private MockWebServer server;

  @BeforeEach
  void start() throws IOException {
    server = Fixtures.server();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private PrivateEgressBuilder builder() {
    return PrivateEgress.builder()
        .environment(Map.of("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1,other.private=127.0.0.1"))
        .retryPolicy(Fixtures.FAST)
        .listener(events);
  }

  private static int code(OkHttpClient client, Request request) throws IOException {
    try (Response r = client.newCall(request).execute()) {
      r.body().string();
      return r.code();
    }
  }

  private static Request get(String url) {
    return new Request.Builder().url(url).build();
  }

  /** Records the metric events: attempts, retries, budget refusals and call ends. */
  static final class Events implements EgressListener {
    final List<String> attempts = new CopyOnWriteArrayList<>();
    final List<String> retries = new CopyOnWriteArrayList<>();
    final List<String> exhausted = new CopyOnWriteArrayList<>();
    final List<String> ended = new CopyOnWriteArrayList<>();

    @Override
    public void attempt(String target, int attempt, String outcome, Duration took) {
      attempts.add(target + " #" + attempt + " " + outcome);
    }

    @Override
    public void retry(String target, int attempt, Duration delay, String cause) {
      retries.add(target + " #" + attempt + " " + cause);
    }

    @Override
    public void retryBudgetExhausted(String target) {
      exhausted.add(target);
    }

    @Override
    public void callEnded(String target, int attempts, boolean succeeded) {
      ended.add(target + " attempts=" + attempts + " succeeded=" + succeeded);
    }
  }

  // Defect 1: a plain POST on a pooled connection the server closed (keep-alive shorter than the pool's).
  @Test
  void aBodyThatBreaksAfterExecuteReturnedCarriesTheSdksAdvice() throws Exception {
    server.enqueue(new MockResponse.Builder().code(200).body("x".repeat(200_000))
        .onResponseBody(new mockwebserver3.SocketEffect.CloseSocket()).build());
    OkHttpClient client = PrivateHttp.newClient(builder().build());
    try (Response r = client.newCall(get("http://my.api.private:" + server.getPort() + "/big")).execute()) {
      assertThat(r.code()).isEqualTo(200);
      assertThatThrownBy(() -> r.body().string()).isInstanceOf(IOException.class)
          .satisfies(e -> assertThat(e.getSuppressed()).anySatisfy(s -> assertThat(s)
              .hasMessageContaining("reading the response body of GET http://my.api.private:" + server.getPort()
                  + "/big failed after its status and headers arrived")
              .hasMessageContaining("Not retried")));
    }
  }

  @Test
  void plainPostsThroughConnectionsTheServerClosedSucceedExactlyOnce() throws Exception {
    try (MisbehavingHttpServer s = MisbehavingHttpServer.start(Duration.ofMillis(150))) {
      OkHttpClient client = PrivateHttp.newClient(builder().build());
      int ok = 0;
      for (int i = 0; i < 6; i++) {
        Request post = new Request.Builder().url("http://my.api.private:" + s.port() + "/orders")
            .post(RequestBody.create("order-" + i, TEXT)).build();
        ok += code(client, post) == 200 ? 1 : 0;
        Thread.sleep(300); // the server closes the idle connection after 150 ms
      }
      assertThat(ok).isEqualTo(6);
      assertThat(s.posts()).isEqualTo(6);
      assertThat(s.idleCloses()).isGreaterThanOrEqualTo(5);
      assertThat(events.retries).isEmpty(); // a stale connection is skipped, not retried
      assertThat(events.attempts).hasSize(6);
    }
  }

  // Defect 2: the deadline bounds the whole call while the server trickles its headers.
  @Test
  void deadlineCutsOffAServerThatTricklesItsHeaders() throws Exception {
    try (MisbehavingHttpServer s = MisbehavingHttpServer.start(Duration.ofSeconds(5))) {
      s.trickle(Duration.ofMillis(100)); // ~70 bytes of status line and headers: 7 s
      OkHttpClient client = PrivateHttp.newClient(builder()
          .retryPolicy(Fixtures.FAST.withDeadline(Duration.ofMillis(800))).build());
      long start = System.nanoTime();
      assertThatThrownBy(() -> code(client, get("http://my.api.private:" + s.port() + "/")))
          .isInstanceOf(InterruptedIOException.class) // OkHttp's "timeout", caused by the SDK's explanation
          .satisfies(e -> assertThat(e.getMessage() + " " + e.getCause())
              .contains("call deadline of 800 ms passed"));
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(3_000);
      assertThat(events.ended).containsExactly("my.api.private:" + s.port() + " attempts=1 succeeded=false");
    }
  }

  // Defect 3: 503 + Retry-After: 0 is not replayed by OkHttp beneath the SDK's retry.
  @Test
  void retryAfterZeroIsRetriedByTheSdkAloneWithinMaxAttempts() throws Exception {
    for (int i = 0; i < 10; i++) {
      server.enqueue(new MockResponse.Builder().code(503).setHeader("Retry-After", "0").build());
    }
    OkHttpClient client = PrivateHttp.newClient(builder().build());
    assertThat(code(client, get("http://my.api.private:" + server.getPort() + "/"))).isEqualTo(503);
    assertThat(server.getRequestCount()).isEqualTo(3); // maxAttempts, not 6
    assertThat(events.attempts).hasSize(3);
  }

  // Defect 4: implicitly matched *.run.app hosts get a token over https only.
  @Test
  void runAppHostsOverPlainHttpGetNoToken() throws Exception {
    MutableClock clock = MutableClock.start();
    try (FakeMetadataServer md = FakeMetadataServer.start(clock)) {
      Map<String, String> env = new HashMap<>();
      env.put("GCE_METADATA_HOST", md.hostPort());
      env.put("K_SERVICE", "caller");
      env.put("K_REVISION", "caller-00001");
      env.put("PRIVATE_EGRESS_HOSTS", "svc-abc-uc.a.run.app=127.0.0.1,my.api.private=127.0.0.1");
      env.put("PRIVATE_EGRESS_AUDIENCES", "my.api.private=https://my-api");
      OkHttpClient client = PrivateHttp.newClient(
          PrivateEgress.builder().environment(env).clock(clock).retryPolicy(Fixtures.FAST).build());
      int port = server.getPort();
      server.enqueue(status(200));
      code(client, get("http://svc-abc-uc.a.run.app:" + port + "/"));
      // a mapped http host redirecting to an implicit run.app host over http
      server.enqueue(new MockResponse.Builder().code(302)
          .setHeader("Location", "http://svc-abc-uc.a.run.app:" + port + "/next").build());
      server.enqueue(status(200));
      code(client, get("http://my.api.private:" + port + "/"));
      RecordedRequest direct = server.takeRequest(5, TimeUnit.SECONDS);
      RecordedRequest mapped = server.takeRequest(5, TimeUnit.SECONDS);
      RecordedRequest redirected = server.takeRequest(5, TimeUnit.SECONDS);
      assertThat(direct.getHeaders().get("Authorization")).isNull();
      assertThat(mapped.getHeaders().get("Authorization")).startsWith("Bearer "); // explicitly mapped: allowed
      assertThat(redirected.getHeaders().get("Authorization")).isNull();
      assertThat(md.identityRequests("https://svc-abc-uc.a.run.app")).isZero();
    }
  }

  // Defect 5: no token text in toString() whatever the header name.
  @Test
  void tokenInACustomHeaderIsInNoToString() throws Exception {
    MutableClock clock = MutableClock.start();
    try (FakeMetadataServer md = FakeMetadataServer.start(clock)) {
      Map<String, String> env = new HashMap<>();
      env.put("GCE_METADATA_HOST", md.hostPort());
      env.put("K_SERVICE", "caller");
      env.put("K_REVISION", "caller-00001");
      env.put("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1");
      env.put("PRIVATE_EGRESS_AUDIENCES", "my.api.private=https://my-api");
      env.put("PRIVATE_EGRESS_TOKEN_HEADER", "X-Serverless-Authorization");
      OkHttpClient client = PrivateHttp.newClient(
          PrivateEgress.builder().environment(env).clock(clock).retryPolicy(Fixtures.FAST).build());
      server.enqueue(status(200));
      try (Response r = client.newCall(get("http://my.api.private:" + server.getPort() + "/")).execute()) {
        String token = server.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("X-Serverless-Authorization")
            .substring("Bearer ".length());
        assertThat(token).hasSizeGreaterThan(20);
        assertThat(r.toString()).doesNotContain(token);
        assertThat(r.request().toString()).doesNotContain(token);
        assertThat(r.networkResponse().request().toString()).doesNotContain(token);
        assertThat(r.networkResponse().toString()).doesNotContain(token);
        assertThat(r.request().header("X-Serverless-Authorization")).isNull();
        assertThat(r.networkResponse().request().header("X-Serverless-Authorization")).isNull();
      }
    }
  }

  // Defect 6: an outage of one target does not spend another target's retries.
  @Test
  void budgetsArePerTarget() throws Exception {
    try (MockWebServer down = Fixtures.server()) {
      down.setDispatcher(new mockwebserver3.Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest request) {
          return status(503);
        }
      });
      OkHttpClient client = PrivateHttp.newClient(builder()
          .retryBudgets(() -> new RetryBudget(5, 0.1)).build());
      for (int i = 0; i < 20; i++) {
        code(client, get("http://my.api.private:" + down.getPort() + "/"));
      }
      assertThat(events.exhausted).isNotEmpty().allMatch(t -> t.equals("my.api.private:" + down.getPort()));
      server.enqueue(status(503));
      server.enqueue(status(200));
      assertThat(code(client, get("http://other.private:" + server.getPort() + "/"))).isEqualTo(200);
      assertThat(server.getRequestCount()).isEqualTo(2);
    }
  }

  // Defect 7: connect failures carry the cause in words and the egress-aware advice.
  @Test
  void aRefusedConnectionExplainsItself() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    OkHttpClient client = PrivateHttp.newClient(builder().build());
    int closedPort = port;
    assertThatThrownBy(() -> code(client, get("http://my.api.private:" + closedPort + "/")))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("GET http://my.api.private:" + closedPort + "/: connect failed: refused")
        .hasMessageContaining("nothing listens on 127.0.0.1:" + closedPort);
  }

  @Test
  void aTlsFailureExplainsItself() throws Exception {
    // a plain-http server answering at once: what an https call to an http port meets
    try (ServerSocket plain = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Thread t = new Thread(() -> {
        while (!plain.isClosed()) {
          try (java.net.Socket s = plain.accept()) {
            s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          } catch (IOException e) {
            return;
          }
        }
      });
      t.setDaemon(true);
      t.start();
      OkHttpClient client = PrivateHttp.newClient(builder().build());
      int port = plain.getLocalPort();
      assertThatThrownBy(() -> code(client, get("https://my.api.private:" + port + "/")))
          .isInstanceOf(SSLException.class)
          .hasMessageContaining("GET https://my.api.private:" + port + "/")
          .hasMessageContaining("may speak plain http");
    }
  }

  // The metrics: 503, 503, 200 is one successful call with retry, 3 attempts, 2 retries.
  @Test
  void metricsOfACallThatSucceededAfterTwoRetries() throws Exception {
    server.enqueue(status(503));
    server.enqueue(status(503));
    server.enqueue(status(200));
    OkHttpClient client = PrivateHttp.newClient(builder().build());
    List<String> r4jEvents = new CopyOnWriteArrayList<>();
    Retry retry = PrivateHttp.retry(client);
    retry.getEventPublisher().onEvent(e -> r4jEvents.add(e.getEventType().toString()));
    assertThat(code(client, get("http://my.api.private:" + server.getPort() + "/"))).isEqualTo(200);
    String target = "my.api.private:" + server.getPort();
    assertThat(events.attempts).containsExactly(target + " #1 503", target + " #2 503", target + " #3 200");
    assertThat(events.retries).hasSize(2);
    assertThat(events.ended).containsExactly(target + " attempts=3 succeeded=true");
    assertThat(retry.getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt()).isEqualTo(1);
    assertThat(retry.getMetrics().getNumberOfSuccessfulCallsWithoutRetryAttempt()).isZero();
    assertThat(retry.getMetrics().getNumberOfFailedCallsWithRetryAttempt()).isZero();
    assertThat(retry.getMetrics().getNumberOfTotalCalls()).isEqualTo(3);
    assertThat(r4jEvents).containsExactly("RETRY", "RETRY", "SUCCESS");
  }

  @Test
  void aCallStoppedByAttemptsOrBudgetAfterRetryingCountsAsFailedWithRetry() throws Exception {
    for (int i = 0; i < 3; i++) {
      server.enqueue(status(503));
    }
    OkHttpClient client = PrivateHttp.newClient(builder().build());
    assertThat(code(client, get("http://my.api.private:" + server.getPort() + "/"))).isEqualTo(503);
    Retry.Metrics m = PrivateHttp.retry(client).getMetrics();
    assertThat(m.getNumberOfFailedCallsWithRetryAttempt()).isEqualTo(1);

    // budget of one retry: 503 (retried), 503 (budget empty) -> failed with retry
    OkHttpClient tight = PrivateHttp.newClient(builder().retryBudget(new RetryBudget(1, 0)).build());
    server.enqueue(status(503));
    server.enqueue(status(503));
    assertThat(code(tight, get("http://my.api.private:" + server.getPort() + "/"))).isEqualTo(503);
    Retry.Metrics t = PrivateHttp.retry(tight).getMetrics();
    assertThat(t.getNumberOfFailedCallsWithRetryAttempt()).isEqualTo(1);
    assertThat(t.getNumberOfFailedCallsWithoutRetryAttempt()).isZero();

    // a plain POST answered 503 is not retried: failed without retry
    server.enqueue(status(503));
    assertThat(code(tight, new Request.Builder().url("http://my.api.private:" + server.getPort() + "/")
        .post(RequestBody.create("x", TEXT)).build())).isEqualTo(503);
    assertThat(t.getNumberOfFailedCallsWithoutRetryAttempt()).isEqualTo(1);
  }

  @Test
  void tokenHeadersOfTheCallerStayOffRedirectsToAnotherHost() throws Exception {
    OkHttpClient client = PrivateHttp.newClient(builder().build());
    server.enqueue(new MockResponse.Builder().code(302)
        .setHeader("Location", "http://other.private:" + server.getPort() + "/x").build());
    server.enqueue(status(200));
    code(client, new Request.Builder().url("http://my.api.private:" + server.getPort() + "/")
        .header("X-Serverless-Authorization", "Bearer mine").build());
    server.takeRequest(5, TimeUnit.SECONDS);
    RecordedRequest second = server.takeRequest(5, TimeUnit.SECONDS);
    for (String h : EgressConfig.TOKEN_HEADERS) {
      assertThat(second.getHeaders().get(h)).isNull();
    }
  }

  @Test
  void aRedirectedCallEndsUnderTheTargetItWasMadeTo() throws Exception {
    OkHttpClient client = PrivateHttp.newClient(builder().build());
    server.enqueue(new MockResponse.Builder().code(302)
        .setHeader("Location", "http://other.private:" + server.getPort() + "/x").build());
    server.enqueue(status(200));
    assertThat(code(client, get("http://my.api.private:" + server.getPort() + "/"))).isEqualTo(200);
    assertThat(events.attempts).containsExactly("my.api.private:" + server.getPort() + " #1 302",
        "other.private:" + server.getPort() + " #2 200"); // attempts are numbered per call
    assertThat(events.ended).containsExactly("my.api.private:" + server.getPort() + " attempts=2 succeeded=true");
  }
}
