package dev.privateegress.http;

import static dev.privateegress.http.Fixtures.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryBudget;
import dev.privateegress.RetryPolicy;
import dev.privateegress.testing.FaultProxy;
import dev.privateegress.testing.MutableClock;
import io.github.resilience4j.retry.Retry;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.MediaType;
import okhttp3.Protocol;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RetryTest {
  private static final MediaType TEXT = MediaType.get("text/plain");
  private MockWebServer server;
  private final Fixtures.Recorder events = new Fixtures.Recorder();

  @BeforeEach
  void start() throws IOException {
    server = Fixtures.server();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private PrivateEgress egress(RetryPolicy policy, RetryBudget budget) {
    return PrivateEgress.builder()
        .environment(Map.of("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1"))
        .retryPolicy(policy)
        .retryBudget(budget)
        .listener(events)
        .build();
  }

  private OkHttpClient client() {
    return PrivateHttp.newClient(egress(Fixtures.FAST, RetryBudget.unlimited()));
  }

  private String url(int port) {
    return "http://my.api.private:" + port + "/items";
  }

  private String url() {
    return url(server.getPort());
  }

  private static int code(OkHttpClient client, Request request) throws IOException {
    try (Response r = client.newCall(request).execute()) {
      r.body().string();
      return r.code();
    }
  }

  private Request post(Request.Builder b) {
    return b.url(url()).post(RequestBody.create("order-42", TEXT)).build();
  }

  @Test
  void getRetries503sAndSucceedsOnTheThirdAttempt() throws Exception {
    server.enqueue(status(503));
    server.enqueue(status(503));
    server.enqueue(status(200));
    OkHttpClient client = client();
    assertThat(code(client, new Request.Builder().url(url()).build())).isEqualTo(200);
    assertThat(server.getRequestCount()).isEqualTo(3);
    assertThat(events.retries).hasSize(2).allMatch(s -> s.startsWith("my.api.private:" + server.getPort() + " #")
        && s.endsWith("HTTP 503"));
    Retry retry = PrivateHttp.retry(client);
    assertThat(retry.getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt()).isEqualTo(1);
    assertThat(retry.getMetrics().getNumberOfSuccessfulCallsWithoutRetryAttempt()).isZero();
  }

  @Test
  void aListenerThatThrowsDoesNotBreakTheCall() throws Exception {
    server.enqueue(status(503));
    server.enqueue(status(200));
    AtomicInteger heard = new AtomicInteger();
    PrivateEgress egress = PrivateEgress.builder()
        .environment(Map.of("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1"))
        .retryPolicy(Fixtures.FAST)
        .retryBudget(RetryBudget.unlimited())
        .listener(new dev.privateegress.EgressListener() {
          @Override
          public void retry(String target, int attempt, Duration delay, String cause) {
            heard.incrementAndGet();
            throw new IllegalStateException("metrics backend down");
          }
        })
        .build();
    assertThat(code(PrivateHttp.newClient(egress), new Request.Builder().url(url()).build())).isEqualTo(200);
    assertThat(heard).hasValue(1);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void aRedirectedCallCountsAsOneCallInTheRetryMetrics() throws Exception {
    OkHttpClient client = client();
    Retry.Metrics metrics = PrivateHttp.retry(client).getMetrics();
    // 302 -> 200: one call without retry, not two
    server.enqueue(new MockResponse.Builder().code(302).setHeader("Location", "/moved").build());
    server.enqueue(status(200));
    assertThat(code(client, new Request.Builder().url(url()).build())).isEqualTo(200);
    assertThat(metrics.getNumberOfSuccessfulCallsWithoutRetryAttempt()).isEqualTo(1);
    assertThat(metrics.getNumberOfSuccessfulCallsWithRetryAttempt()).isZero();

    // 503 (retried) -> 302 -> 200: one call that succeeded with a retry, the redirect hop is part of it
    server.enqueue(status(503));
    server.enqueue(new MockResponse.Builder().code(302).setHeader("Location", "/moved").build());
    server.enqueue(status(200));
    assertThat(code(client, new Request.Builder().url(url()).build())).isEqualTo(200);
    assertThat(metrics.getNumberOfSuccessfulCallsWithoutRetryAttempt()).isEqualTo(1);
    assertThat(metrics.getNumberOfSuccessfulCallsWithRetryAttempt()).isEqualTo(1);

    // 302 -> 503, 503, 503: one failed call
    server.enqueue(new MockResponse.Builder().code(302).setHeader("Location", "/moved").build());
    for (int i = 0; i < 3; i++) {
      server.enqueue(status(503));
    }
    assertThat(code(client, new Request.Builder().url(url()).build())).isEqualTo(503);
    assertThat(metrics.getNumberOfFailedCallsWithoutRetryAttempt() + metrics.getNumberOfFailedCallsWithRetryAttempt())
        .isEqualTo(1);
    assertThat(metrics.getNumberOfSuccessfulCallsWithoutRetryAttempt()).isEqualTo(1);
    assertThat(metrics.getNumberOfSuccessfulCallsWithRetryAttempt()).isEqualTo(1);
    assertThat(server.getRequestCount()).isEqualTo(9);
  }

  @Test
  void tooManyRedirectsCountAsOneFailedCall() throws Exception {
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        return new MockResponse.Builder().code(302).setHeader("Location", "/again").build();
      }
    });
    OkHttpClient client = client();
    assertThatThrownBy(() -> code(client, new Request.Builder().url(url()).build()))
        .isInstanceOf(java.net.ProtocolException.class).hasMessageContaining("Too many follow-up requests");
    Retry.Metrics metrics = PrivateHttp.retry(client).getMetrics();
    assertThat(metrics.getNumberOfFailedCallsWithoutRetryAttempt()).isEqualTo(1);
    assertThat(metrics.getNumberOfSuccessfulCallsWithoutRetryAttempt()).isZero();
    assertThat(server.getRequestCount()).isEqualTo(21);
  }

  @Test
  void getGivesUpAfterMaxAttemptsAndReturnsTheLastResponse() throws Exception {
    for (int i = 0; i < 4; i++) {
      server.enqueue(status(502));
    }
    assertThat(code(client(), new Request.Builder().url(url()).build())).isEqualTo(502);
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void nonRetryableStatusIsReturnedAtOnce() throws Exception {
    server.enqueue(status(500));
    server.enqueue(status(200));
    assertThat(code(client(), new Request.Builder().url(url()).build())).isEqualTo(500);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void postWithoutIdempotencyKeyIsSentExactlyOnceOn503() throws Exception {
    server.enqueue(new MockResponse.Builder().code(503).setHeader("Retry-After", "0").build());
    server.enqueue(status(200));
    assertThat(code(client(), post(new Request.Builder()))).isEqualTo(503);
    // not by the SDK, and not by OkHttp's own "503 + Retry-After: 0" replay either
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(events.retries).isEmpty();
  }

  @Test
  void postWithIdempotencyKeyOrTagIsRetried() throws Exception {
    server.enqueue(status(503));
    server.enqueue(status(200));
    server.enqueue(status(429));
    server.enqueue(status(200));
    OkHttpClient client = client();
    assertThat(code(client, post(new Request.Builder().header("Idempotency-Key", "k-1")))).isEqualTo(200);
    assertThat(code(client, post(PrivateHttp.idempotent(new Request.Builder())))).isEqualTo(200);
    assertThat(server.getRequestCount()).isEqualTo(4);
    for (int i = 0; i < 4; i++) {
      assertThat(server.takeRequest(5, TimeUnit.SECONDS).getBody().utf8()).isEqualTo("order-42");
    }
  }

  @Test
  void retryAfterSecondsIsHonoured() throws Exception {
    server.enqueue(new MockResponse.Builder().code(503).setHeader("Retry-After", "2").build());
    server.enqueue(status(200));
    long start = System.nanoTime();
    assertThat(code(client(), new Request.Builder().url(url()).build())).isEqualTo(200);
    long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(events.delays).containsExactly(Duration.ofSeconds(2));
    assertThat(waited).isGreaterThanOrEqualTo(2_000);
  }

  @Test
  void cancelEndsTheWaitBeforeARetry() throws Exception {
    server.enqueue(new MockResponse.Builder().code(503).setHeader("Retry-After", "20").build());
    server.enqueue(status(200));
    OkHttpClient client = PrivateHttp.newClient(
        egress(Fixtures.FAST.withDeadline(Duration.ofSeconds(60)), RetryBudget.unlimited()));
    okhttp3.Call call = client.newCall(new Request.Builder().url(url()).build());
    Thread canceller = new Thread(() -> {
      while (events.delays.isEmpty()) { // the call now sleeps 20 s before its retry
        Thread.onSpinWait();
      }
      call.cancel();
    });
    canceller.start();
    long start = System.nanoTime();
    assertThatThrownBy(call::execute).isInstanceOf(java.io.InterruptedIOException.class).hasMessage("Canceled");
    canceller.join();
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).as("seconds waited").isLessThan(10);
    assertThat(Thread.currentThread().isInterrupted()).as("the cancel's interrupt is not left behind").isFalse();
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void retryAfterBeyondTheDeadlineStopsAtOnce() throws Exception {
    server.enqueue(new MockResponse.Builder().code(503).setHeader("Retry-After", "3600").build());
    server.enqueue(status(200));
    OkHttpClient client = PrivateHttp.newClient(
        egress(Fixtures.FAST.withDeadline(Duration.ofSeconds(2)), RetryBudget.unlimited()));
    long start = System.nanoTime();
    assertThat(code(client, new Request.Builder().url(url()).build())).isEqualTo(503);
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(2);
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(events.retries).isEmpty();
  }

  private OkHttpClient clientAt(MutableClock clock, RetryPolicy policy) {
    return PrivateHttp.newClient(PrivateEgress.builder()
        .environment(Map.of("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1"))
        .clock(clock)
        .retryPolicy(policy)
        .retryBudget(RetryBudget.unlimited())
        .listener(events)
        .build());
  }

  @Test
  void retryAfterHttpDateIsReadAgainstTheInjectedClock() throws Exception {
    // The injected clock is years ahead of the real one: measured against the real clock this date would be
    // years away (beyond any deadline); against the egress clock it is one second away.
    MutableClock clock = new MutableClock(Instant.parse("2031-03-04T05:06:07Z"));
    server.enqueue(new MockResponse.Builder().code(503).setHeader("Retry-After", "Tue, 04 Mar 2031 05:06:08 GMT")
        .build());
    server.enqueue(status(200));
    long start = System.nanoTime();
    assertThat(code(clientAt(clock, Fixtures.FAST), new Request.Builder().url(url()).build())).isEqualTo(200);
    assertThat(events.delays).containsExactly(Duration.ofSeconds(1));
    // the wait itself runs on the monotonic clock: it really lasts the second the header asked for
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(1_000);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void retryAfterHttpDateBeyondTheDeadlineOfTheInjectedClockStopsAtOnce() throws Exception {
    // The injected clock is years behind the real one: against the real clock this date is long past (retry
    // at once); against the egress clock it is an hour away, past the 2 s deadline.
    MutableClock clock = new MutableClock(Instant.parse("2020-02-03T10:00:00Z"));
    server.enqueue(new MockResponse.Builder().code(503).setHeader("Retry-After", "Mon, 03 Feb 2020 11:00:00 GMT")
        .build());
    server.enqueue(status(200));
    OkHttpClient client = clientAt(clock, Fixtures.FAST.withDeadline(Duration.ofSeconds(2)));
    assertThat(code(client, new Request.Builder().url(url()).build())).isEqualTo(503);
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(events.retries).isEmpty();
  }

  @Test
  void deadlineCapsASlowAttempt() {
    server.enqueue(new MockResponse.Builder().code(200).headersDelay(5, TimeUnit.SECONDS).build());
    OkHttpClient client = PrivateHttp.newClient(
        egress(Fixtures.FAST.withDeadline(Duration.ofMillis(300)), RetryBudget.unlimited()));
    long start = System.nanoTime();
    assertThatThrownBy(() -> code(client, new Request.Builder().url(url()).build()))
        .isInstanceOf(InterruptedIOException.class);
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(4);
  }

  @Test
  void okHttpCallTimeoutShorterThanThePolicyDeadlineWins() throws Exception {
    server.enqueue(new MockResponse.Builder().code(503).setHeader("Retry-After", "3").build());
    server.enqueue(status(200));
    OkHttpClient client = PrivateHttp.configure(egress(Fixtures.FAST, RetryBudget.unlimited()),
        new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(1))).build();
    assertThat(code(client, new Request.Builder().url(url()).build())).isEqualTo(503);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void fullOutageOf1000GetsStaysWithinTheRetryBudget() throws Exception {
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        return status(503);
      }
    });
    OkHttpClient client = PrivateHttp.newClient(egress(Fixtures.FAST, RetryBudget.defaults()));
    for (int i = 0; i < 1000; i++) {
      assertThat(code(client, new Request.Builder().url(url()).build())).isEqualTo(503);
    }
    int attempts = server.getRequestCount();
    assertThat(attempts).isLessThanOrEqualTo(1200).isGreaterThanOrEqualTo(1000);
    assertThat(events.retries).hasSize(attempts - 1000);
    assertThat(events.budgetExhausted.get()).isGreaterThan(0);
    // resilience4j saw every attempt
    assertThat(PrivateHttp.retry(client).getMetrics().getNumberOfTotalCalls()).isEqualTo(attempts);
  }

  @Test
  void thousandRetriedCallsLeakNoConnection() throws Exception {
    AtomicInteger n = new AtomicInteger();
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        return n.incrementAndGet() % 2 == 1 ? status(503) : status(200);
      }
    });
    OkHttpClient client = client();
    int maxConnection = 0;
    for (int i = 0; i < 1000; i++) {
      assertThat(code(client, new Request.Builder().url(url()).build())).isEqualTo(200);
    }
    for (int i = 0; i < 2000; i++) {
      maxConnection = Math.max(maxConnection, server.takeRequest(5, TimeUnit.SECONDS).getConnectionIndex());
    }
    assertThat(events.retries).hasSize(1000);
    // Every discarded 503 was closed: one pooled connection carried everything.
    assertThat(maxConnection).isZero();
    assertThat(client.connectionPool().connectionCount()).isLessThanOrEqualTo(1);
  }

  @Test
  void postIsResentAfterAConnectFailure() throws Exception {
    try (FaultProxy proxy = FaultProxy.start(server.getPort())) {
      proxy.refuseConnections();
      events.onRetry = count -> proxy.acceptConnections(); // the server comes back during the backoff
      server.enqueue(status(201));
      OkHttpClient client = client();
      Request request = new Request.Builder().url(url(proxy.port()))
          .post(RequestBody.create("order-42", TEXT)).build();
      assertThat(code(client, request)).isEqualTo(201);
      assertThat(events.retries).hasSize(1);
      assertThat(events.retries.get(0)).contains("connect failed: refused");
      assertThat(events.connectFailures.get()).isGreaterThanOrEqualTo(1);
      assertThat(server.getRequestCount()).isEqualTo(1);
      assertThat(server.takeRequest(5, TimeUnit.SECONDS).getBody().utf8()).isEqualTo("order-42");
    }
  }

  @Test
  void postIsNotResentAfterAResetOnceTheRequestWasWritten() throws Exception {
    try (FaultProxy proxy = FaultProxy.start(server.getPort())) {
      proxy.enqueue(FaultProxy.Behavior.resetAfterReading(1));
      server.enqueue(status(201));
      OkHttpClient client = client();
      Request request = new Request.Builder().url(url(proxy.port()))
          .post(RequestBody.create("order-42", TEXT)).build();
      assertThatThrownBy(() -> code(client, request)).isInstanceOf(IOException.class);
      assertThat(proxy.acceptedConnections()).isEqualTo(1);
      assertThat(events.retries).isEmpty();
      assertThat(server.getRequestCount()).isZero();
    }
  }

  @Test
  void getIsRetriedAfterTheServerDropsAReusedConnection() throws Exception {
    server.enqueue(status(200));
    // the pooled connection dies after the next request was read, before any answer
    server.enqueue(new MockResponse.Builder().code(200).onResponseStart(new SocketEffect.CloseSocket()).build());
    server.enqueue(status(200));
    OkHttpClient client = client();
    assertThat(code(client, new Request.Builder().url(url()).build())).isEqualTo(200);
    assertThat(code(client, new Request.Builder().url(url()).build())).isEqualTo(200);
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void postOnADroppedReusedConnectionIsNotResentOnceWritten() throws Exception {
    server.enqueue(status(200));
    server.enqueue(new MockResponse.Builder().code(200).onResponseStart(new SocketEffect.CloseSocket()).build());
    server.enqueue(status(200));
    OkHttpClient client = client();
    assertThat(code(client, new Request.Builder().url(url()).build())).isEqualTo(200);
    assertThatThrownBy(() -> code(client, post(new Request.Builder()))).isInstanceOf(IOException.class);
    assertThat(events.retries).isEmpty();
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void postOnADroppedReusedConnectionIsResentWithAnIdempotencyKey() throws Exception {
    server.enqueue(status(200));
    server.enqueue(new MockResponse.Builder().code(200).onResponseStart(new SocketEffect.CloseSocket()).build());
    server.enqueue(status(201));
    OkHttpClient client = client();
    assertThat(code(client, new Request.Builder().url(url()).build())).isEqualTo(200);
    assertThat(code(client, post(new Request.Builder().header("Idempotency-Key", "k-7")))).isEqualTo(201);
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void blackHoledAttemptEndsAtTheDeadlineAndIsNotRepeated() {
    try (FaultProxy proxy = FaultProxy.start(server.getPort())) {
      proxy.defaultBehavior(FaultProxy.Behavior.blackHole());
      OkHttpClient client = PrivateHttp.newClient(
          egress(Fixtures.FAST.withDeadline(Duration.ofMillis(500)), RetryBudget.unlimited()));
      assertThatThrownBy(() -> code(client, new Request.Builder().url(url(proxy.port())).build()))
          .isInstanceOf(InterruptedIOException.class);
      // the request was written and the answer never came: a timeout is not retried
      assertThat(proxy.acceptedConnections()).isEqualTo(1);
      assertThat(events.retries).isEmpty();
    }
  }

  @Test
  void theUsersEventListenerFactoryStillSeesEveryAttempt() throws Exception {
    AtomicInteger callStarts = new AtomicInteger();
    AtomicInteger connectFailures = new AtomicInteger();
    AtomicInteger requestHeaders = new AtomicInteger();
    EventListener mine = new EventListener() {
      @Override
      public void callStart(Call call) {
        callStarts.incrementAndGet();
      }

      @Override
      public void connectFailed(Call call, InetSocketAddress address, Proxy proxy, Protocol protocol,
          IOException e) {
        connectFailures.incrementAndGet();
      }

      @Override
      public void requestHeadersStart(Call call) {
        requestHeaders.incrementAndGet();
      }
    };
    try (FaultProxy proxy = FaultProxy.start(server.getPort())) {
      proxy.refuseConnections();
      events.onRetry = count -> proxy.acceptConnections();
      server.enqueue(status(201));
      OkHttpClient client = PrivateHttp.configure(egress(Fixtures.FAST, RetryBudget.unlimited()),
          new OkHttpClient.Builder().eventListener(mine)).build();
      Request request = new Request.Builder().url(url(proxy.port()))
          .post(RequestBody.create("order-42", TEXT)).build();
      assertThat(code(client, request)).isEqualTo(201);
      assertThat(callStarts).hasValue(1);
      assertThat(connectFailures.get()).isGreaterThanOrEqualTo(1);
      assertThat(requestHeaders).hasValue(1);
      assertThat(events.retries).hasSize(1);
    }
  }

  @Test
  void startupGraceGivesConnectFailuresMoreAttempts() throws Exception {
    try (FaultProxy proxy = FaultProxy.start(server.getPort())) {
      proxy.refuseConnections();
      events.onRetry = count -> {
        if (count == 5) {
          proxy.acceptConnections();
        }
      };
      server.enqueue(status(200));
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1",
              "K_SERVICE", "api", "K_REVISION", "api-00001", "PRIVATE_EGRESS_MODE", "direct-vpc"))
          .retryPolicy(Fixtures.FAST.withStartupGraceMaxAttempts(8))
          .retryBudget(RetryBudget.unlimited())
          .listener(events)
          .build();
      assertThat(egress.inStartupGrace()).isTrue();
      assertThat(code(PrivateHttp.newClient(egress), new Request.Builder().url(url(proxy.port())).build()))
          .isEqualTo(200);
      assertThat(events.retries).hasSize(5);
    }
  }

  @Test
  void withoutStartupGraceConnectFailuresStopAtMaxAttempts() {
    try (FaultProxy proxy = FaultProxy.start(server.getPort())) {
      proxy.refuseConnections();
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1",
              "K_SERVICE", "api", "K_REVISION", "api-00001", "PRIVATE_EGRESS_MODE", "direct-vpc",
              "PRIVATE_EGRESS_STARTUP_GRACE", "PT0S"))
          .retryPolicy(Fixtures.FAST)
          .retryBudget(RetryBudget.unlimited())
          .listener(events)
          .build();
      assertThatThrownBy(() -> code(PrivateHttp.newClient(egress), new Request.Builder().url(url(proxy.port())).build()))
          .isInstanceOf(ConnectException.class);
      assertThat(events.retries).hasSize(2);
    }
  }
}
