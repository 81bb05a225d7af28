package dev.privateegress.http;

import static dev.privateegress.http.Fixtures.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.ConfigurationException;
import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryBudget;
import dev.privateegress.testing.FakeMetadataServer;
import dev.privateegress.testing.InMemoryTracing;
import dev.privateegress.testing.MutableClock;
import io.micrometer.observation.Observation;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpTracingTest {
  private static final String AUDIENCE = "https://my-api.example.com";
  private final MutableClock clock = MutableClock.start();
  private final InMemoryTracing tracing = new InMemoryTracing();
  private FakeMetadataServer md;
  private MockWebServer api;

  @BeforeEach
  void start() throws IOException {
    md = FakeMetadataServer.start(clock);
    api = Fixtures.server();
  }

  @AfterEach
  void stop() {
    api.close();
    md.close();
    tracing.close();
  }

  private OkHttpClient client(boolean token) {
    return client(token, Map.of());
  }

  private OkHttpClient client(boolean token, Map<String, String> extra) {
    return client(token, extra, RetryBudget.defaults());
  }

  private OkHttpClient client(boolean token, Map<String, String> extra, RetryBudget budget) {
    Map<String, String> env = new HashMap<>(extra);
    env.put("GCE_METADATA_HOST", md.hostPort());
    env.put("K_SERVICE", "caller");
    env.put("K_REVISION", "caller-00001");
    env.put("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1");
    if (token) {
      env.put("PRIVATE_EGRESS_AUDIENCES", "my.api.private=" + AUDIENCE);
    }
    PrivateEgress egress = PrivateEgress.builder().environment(env).clock(clock).retryPolicy(Fixtures.FAST)
        .retryBudget(budget).observationRegistry(tracing.registry()).build();
    return PrivateHttp.newClient(egress);
  }

  private int get(OkHttpClient client, String path) throws IOException {
    try (Response r = client.newCall(new Request.Builder().url("http://my.api.private:" + api.getPort() + path)
        .build()).execute()) {
      return r.code();
    }
  }

  private static String attr(SpanData span, String key) {
    return span.getAttributes().get(AttributeKey.stringKey(key));
  }

  @Test
  void eachAttemptIsAClientSpanUnderTheCallersObservationAndSendsItsOwnTraceparent() throws Exception {
    OkHttpClient client = client(false);
    api.enqueue(status(503));
    api.enqueue(status(503));
    api.enqueue(status(200));
    Observation caller = Observation.start("caller", tracing.registry());
    try (Observation.Scope scope = caller.openScope()) {
      assertThat(get(client, "/items?key=hunter2&flag")).isEqualTo(200);
    } finally {
      caller.stop();
    }

    List<SpanData> attempts = tracing.spans("GET");
    SpanData callerSpan = tracing.spans("caller").get(0);
    assertThat(attempts).hasSize(3);
    List<String> resends = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      SpanData a = attempts.get(i);
      assertThat(a.getKind()).isEqualTo(SpanKind.CLIENT);
      assertThat(a.getParentSpanId()).isEqualTo(callerSpan.getSpanId());
      assertThat(a.getTraceId()).isEqualTo(callerSpan.getTraceId());
      assertThat(attr(a, "http.request.method")).isEqualTo("GET");
      assertThat(attr(a, "server.address")).isEqualTo("my.api.private");
      assertThat(attr(a, "server.port")).isEqualTo(Integer.toString(api.getPort()));
      assertThat(attr(a, "url.full"))
          .isEqualTo("http://my.api.private:" + api.getPort() + "/items?key=REDACTED&flag");
      resends.add(attr(a, "http.request.resend_count"));
      RecordedRequest seen = api.takeRequest(5, TimeUnit.SECONDS);
      assertThat(seen.getHeaders().get("traceparent"))
          .isEqualTo("00-" + a.getTraceId() + "-" + a.getSpanId() + "-01");
    }
    assertThat(resends).containsExactly(null, "1", "2");
    assertThat(attempts).extracting(a -> attr(a, "http.response.status_code")).containsExactly("503", "503", "200");
    assertThat(attempts).extracting(a -> attr(a, "error.type")).containsExactly("503", "503", null);
    assertThat(attempts).extracting(a -> attr(a, "private_egress.resend.reason")).containsExactly(null, "503", "503");
    assertThat(attr(attempts.get(1), "private_egress.resend.wait_ms")).matches("\\d+");
    assertThat(tracing.allAttributes()).noneMatch(a -> a.contains("hunter2"));
  }

  @Test
  void aRetryRefusedByTheBudgetIsAnEventOnTheCallersSpan() throws Exception {
    OkHttpClient client = client(false, Map.of(), new RetryBudget(0, 0.0));
    api.enqueue(status(503));
    Observation caller = Observation.start("caller", tracing.registry());
    try (Observation.Scope scope = caller.openScope()) {
      assertThat(get(client, "/")).isEqualTo(503);
    } finally {
      caller.stop();
    }
    assertThat(tracing.spans("GET")).hasSize(1);
    assertThat(tracing.spans("caller").get(0).getEvents())
        .extracting(EventData::getName).containsExactly("private_egress.retry_budget_refused");
  }

  @Test
  void aPlainCallIsTracedUnderTheCallersCurrentSpan() throws Exception {
    OkHttpClient client = client(false);
    api.enqueue(status(200));
    Tracer tracer = tracing.tracer();
    Span user = tracer.nextSpan().name("user-work").start();
    try (Tracer.SpanInScope scope = tracer.withSpan(user)) {
      get(client, "/");
    } finally {
      user.end();
    }
    SpanData attempt = tracing.spans("GET").get(0);
    assertThat(attempt.getParentSpanId()).isEqualTo(user.context().spanId());
    assertThat(api.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("traceparent"))
        .contains(attempt.getSpanId());
  }

  @Test
  void aTokenThatExpiredBeforeARetryIsFetchedAgainAsTheChildOfThatAttempt() throws Exception {
    OkHttpClient client = client(true);
    api.setDispatcher(new Dispatcher() {
      private int n;

      @Override
      public MockResponse dispatch(RecordedRequest request) {
        if (n++ == 0) {
          clock.advance(Duration.ofHours(2)); // the token expires while the first attempt is answered
          return status(503);
        }
        return status(200);
      }
    });
    assertThat(get(client, "/")).isEqualTo(200);
    List<SpanData> attempts = tracing.spans("GET");
    List<SpanData> fetches = tracing.spans("fetch id token");
    assertThat(attempts).hasSize(2);
    assertThat(fetches).hasSize(2);
    assertThat(fetches.get(0).getParentSpanId()).isEqualTo(attempts.get(0).getSpanId());
    assertThat(fetches.get(1).getParentSpanId()).isEqualTo(attempts.get(1).getSpanId());
    assertThat(attempts).extracting(a -> attr(a, "private_egress.token")).containsExactly("fetched", "fetched");
    assertThat(md.identityRequests(AUDIENCE)).isEqualTo(2);
  }

  @Test
  void aTokenThatCannotBeHadFailsTheCallAsTokenUnavailableWithItsFetchUnderTheAttempt() throws Exception {
    OkHttpClient client = client(true);
    md.failNext(100, 500, "instance/service-accounts/default/identity");
    assertThatThrownBy(() -> get(client, "/"))
        .isInstanceOf(TokenUnavailableException.class)
        .hasMessageContaining(AUDIENCE);
    assertThat(api.getRequestCount()).as("nothing sent").isZero();
    SpanData attempt = tracing.spans("GET").get(0);
    assertThat(attr(attempt, "error.type")).isEqualTo(TokenUnavailableException.class.getName());
    assertThat(tracing.spans("fetch id token")).singleElement()
        .satisfies(f -> assertThat(f.getParentSpanId()).isEqualTo(attempt.getSpanId()));
  }

  @Test
  void withTheAgentTracingOkHttpOnlyTokenFetchesAreTraced() throws Exception {
    OkHttpClient client = client(true, Map.of("PRIVATE_EGRESS_TRACING", "tokens"));
    api.enqueue(status(200));
    get(client, "/");
    assertThat(tracing.spans("GET")).isEmpty();
    assertThat(tracing.spans("fetch id token")).hasSize(1);
    assertThat(api.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("traceparent")).isNull();
  }

  @Test
  void anUnknownTracingValueIsRefusedWithWhatIsAllowed() {
    assertThatThrownBy(() -> PrivateEgress.builder().environment(Map.of("PRIVATE_EGRESS_TRACING", "http,jedis"))
        .build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("PRIVATE_EGRESS_TRACING")
        .hasMessageContaining("jedis")
        .hasMessageContaining("http, redis, tokens, all, none");
  }

  @Test
  void aConnectFailureIsAnAttemptSpanWithItsErrorType() throws Exception {
    OkHttpClient client = client(false);
    int port = api.getPort();
    api.close();
    try {
      client.newCall(new Request.Builder().url("http://my.api.private:" + port + "/").build()).execute().close();
    } catch (IOException expected) {
      // refused every time
    }
    List<SpanData> attempts = tracing.spans("GET");
    // refused connections are retried through the start-up grace: each refusal is its own attempt span
    assertThat(attempts).hasSize(Fixtures.FAST.startupGraceMaxAttempts());
    for (int i = 1; i < attempts.size(); i++) {
      assertThat(attr(attempts.get(i), "http.request.resend_count")).isEqualTo(Integer.toString(i));
      assertThat(attr(attempts.get(i), "private_egress.resend.reason")).isEqualTo("connect");
    }
    assertThat(attempts).allSatisfy(a -> assertThat(attr(a, "error.type")).isEqualTo("java.net.ConnectException"));
    assertThat(attempts).allSatisfy(a -> assertThat(attr(a, "http.response.status_code")).isNull());
  }

  @Test
  void aTokenFetchIsASpanOnACacheMissOnlyAndNoAttributeHoldsTheToken() throws Exception {
    OkHttpClient client = client(true);
    api.enqueue(status(200));
    api.enqueue(status(200));
    Observation caller = Observation.start("caller", tracing.registry());
    try (Observation.Scope scope = caller.openScope()) {
      get(client, "/first");
      get(client, "/second");
    } finally {
      caller.stop();
    }
    List<SpanData> fetches = tracing.spans("fetch id token");
    assertThat(fetches).hasSize(1);
    SpanData fetch = fetches.get(0);
    assertThat(fetch.getKind()).isEqualTo(SpanKind.INTERNAL);
    assertThat(attr(fetch, "private_egress.token.kind")).isEqualTo("id");
    assertThat(attr(fetch, "private_egress.token.audience_host")).isEqualTo("my-api.example.com");
    List<SpanData> attempts = tracing.spans("GET");
    assertThat(attempts).hasSize(2);
    // the first call's attempt needed the token: the fetch is its child; the second call's found it cached
    assertThat(fetch.getParentSpanId()).isEqualTo(attempts.get(0).getSpanId());
    assertThat(fetch.getTraceId()).isEqualTo(tracing.spans("caller").get(0).getTraceId());
    assertThat(attempts).extracting(a -> attr(a, "private_egress.token")).containsExactly("fetched", "cached");
    assertThat(md.identityRequests(AUDIENCE)).isEqualTo(1);

    String bearer = api.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("Authorization");
    String jwt = bearer.substring("Bearer ".length());
    List<String> secrets = new ArrayList<>(List.of(jwt, "Bearer"));
    for (String part : jwt.split("\\.")) {
      if (part.length() >= 8) {
        secrets.add(part);
      }
    }
    assertThat(tracing.allAttributes()).isNotEmpty()
        .noneMatch(a -> secrets.stream().anyMatch(a::contains));
  }
}
