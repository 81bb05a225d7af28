package dev.privateegress.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.PrivateEgress;
import dev.privateegress.testing.FakeMetadataServer;
import dev.privateegress.testing.MutableClock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
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

/**
 * No expired ID token on the wire: not from a metadata server whose clock is behind (its tokens are expired on
 * arrival), and not on a retry made after the first attempt's token expired.
 */
class ExpiredTokenTest {
  private static final String AUDIENCE = "https://api.example.com";
  private final MutableClock clock = MutableClock.start();
  private FakeMetadataServer md;
  private MockWebServer api;
  /** {@code exp} of every token the API received, against this machine's clock at receipt. */
  private final List<String> expired = new CopyOnWriteArrayList<>();
  private final AtomicInteger received = new AtomicInteger();

  @BeforeEach
  void start() throws IOException {
    api = Fixtures.server();
  }

  @AfterEach
  void stop() {
    api.close();
    if (md != null) {
      md.close();
    }
  }

  private OkHttpClient client() {
    Map<String, String> env = new HashMap<>(md.environment());
    env.put("K_SERVICE", "caller");
    env.put("K_REVISION", "caller-00001");
    env.put("PRIVATE_EGRESS_HOSTS", "api.private=127.0.0.1");
    env.put("PRIVATE_EGRESS_AUDIENCES", "api.private=" + AUDIENCE);
    return PrivateHttp.newClient(PrivateEgress.builder().environment(env).clock(clock)
        .retryPolicy(Fixtures.FAST).build());
  }

  private String url() {
    return "http://api.private:" + api.getPort() + "/work";
  }

  /** Records the token's expiry on arrival, then answers with {@code answer}. */
  private void dispatch(java.util.function.Supplier<MockResponse> answer) {
    api.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        received.incrementAndGet();
        String bearer = request.getHeaders().get("Authorization");
        Instant exp = Instant.ofEpochSecond(expOf(bearer));
        if (!exp.isAfter(clock.instant())) {
          expired.add("exp " + exp + " received at " + clock.instant());
        }
        return answer.get();
      }
    });
  }

  @Test
  void tokensExpiredOnArrivalNeverReachTheServerAndFetchesArePaced() throws Exception {
    // The metadata server's clock is 90 minutes behind: its one-hour tokens expired 30 minutes ago.
    md = FakeMetadataServer.start(Clock.offset(clock, Duration.ofMinutes(-90)));
    dispatch(() -> new MockResponse.Builder().body("ok").build());
    OkHttpClient client = client();
    List<String> messages = new CopyOnWriteArrayList<>();
    int calls = Http2RetirementTest.concurrently(8, i -> {
      for (int n = 0; n < 25; n++) {
        try (Response r = client.newCall(new Request.Builder().url(url()).build()).execute()) {
          messages.add("answered " + r.code());
        } catch (TokenUnavailableException e) {
          messages.add(e.getMessage());
        }
      }
      return 25;
    });
    int fetchesBefore = md.identityRequests(AUDIENCE);
    clock.advance(Duration.ofSeconds(6)); // past the 5 s pause: one more fetch, refused again
    for (int n = 0; n < 20; n++) {
      try (Response r = client.newCall(new Request.Builder().url(url()).build()).execute()) {
        messages.add("answered " + r.code());
      } catch (TokenUnavailableException e) {
        messages.add(e.getMessage());
      }
    }
    System.out.println("RELIABILITY metadata clock 90 min behind: calls=" + (calls + 20) + " sentToServer="
        + received.get() + " metadataRequests=" + md.identityRequests(AUDIENCE) + " (" + fetchesBefore
        + " before the pause ended)");
    assertThat(received.get()).as("requests that reached the API").isZero();
    assertThat(messages).hasSize(220).allSatisfy(m -> assertThat(m)
        .contains("no ID token for api.private")
        .contains("clock skew")
        .contains("metadata server"));
    assertThat(fetchesBefore).as("metadata requests while the clock stood still").isEqualTo(1);
    assertThat(md.identityRequests(AUDIENCE)).as("one more after the pause").isEqualTo(2);
  }

  @Test
  void aRetryAfterTheTokenExpiredCarriesANewOne() throws Exception {
    md = FakeMetadataServer.start(clock);
    List<String> tokens = new ArrayList<>();
    AtomicInteger n = new AtomicInteger();
    dispatch(() -> {
      if (n.getAndIncrement() == 0) {
        clock.advance(Duration.ofMinutes(61)); // the answer takes long: the token expires meanwhile
        return new MockResponse.Builder().code(503).setHeader("Retry-After", "0").build();
      }
      return new MockResponse.Builder().body("ok").build();
    });
    OkHttpClient client = client();
    try (Response r = client.newCall(new Request.Builder().url(url()).build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
    for (int i = 0; i < 2; i++) {
      tokens.add(api.takeRequest().getHeaders().get("Authorization"));
    }
    assertThat(received.get()).isEqualTo(2);
    assertThat(expired).as("tokens expired on arrival").isEmpty();
    assertThat(tokens.get(1)).isNotEqualTo(tokens.get(0));
    assertThat(md.identityRequests(AUDIENCE)).isEqualTo(2);
  }

  private static long expOf(String bearer) {
    String jwt = bearer.substring("Bearer ".length());
    String payload = new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8);
    int i = payload.indexOf("\"exp\":") + 6;
    int end = i;
    while (end < payload.length() && Character.isDigit(payload.charAt(end))) {
      end++;
    }
    return Long.parseLong(payload.substring(i, end));
  }
}
