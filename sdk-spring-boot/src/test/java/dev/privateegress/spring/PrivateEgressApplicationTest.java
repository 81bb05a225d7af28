package dev.privateegress.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.PrivateEgressBuilder;
import dev.privateegress.EgressListener;
import dev.privateegress.PrivateEgress;
import dev.privateegress.http.PrivateHttp;
import dev.privateegress.testing.FakeMetadataServer;
import dev.privateegress.testing.NoDelayServerSocketFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.client.RestClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * A real Spring Boot application on a random port with the starter, a real redis-server, a loopback HTTP
 * server standing in for {@code http://my.api.private} and the SDK's fake metadata server.
 */
@SpringBootTest(classes = PrivateEgressApplicationTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PrivateEgressApplicationTest {
  static final String AUDIENCE = "https://my-api.example.com";

  static FakeMetadataServer md;
  static TestRedis redis;
  static MockWebServer api;

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    /** Short backoffs; the process environment stays as it is. */
    @Bean
    PrivateEgressBuilderCustomizer fastRetries() {
      return b -> b.retryPolicy(PrivateEgressAutoConfigurationTest.FAST);
    }
  }

  @BeforeAll
  static void start() throws Exception {
    md = FakeMetadataServer.start();
    redis = TestRedis.start();
    api = new MockWebServer();
    api.setServerSocketFactory(new NoDelayServerSocketFactory());
    api.start();
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
    redis.close();
    md.close();
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry r) {
    r.add("private-egress.hosts", () -> "my.api.private=127.0.0.1");
    r.add("private-egress.audiences", () -> "my.api.private=" + AUDIENCE);
    r.add("private-egress.metadata-host", md::hostPort);
    r.add("private-egress.lookup", () -> "off");
    r.add("private-egress.redis.url", () -> redis.url);
    r.add("private-egress.readiness.cache-ttl", () -> "100ms");
    r.add("management.endpoints.web.exposure.include", () -> "health,prometheus");
    r.add("management.endpoint.health.show-details", () -> "always");
    r.add("management.endpoint.health.show-components", () -> "always");
  }

  @LocalServerPort
  int port;

  @Autowired
  OkHttpClient okHttpClient;

  @Autowired
  RestClient.Builder restClientBuilder;

  @Autowired
  UnifiedJedis jedis;

  @Autowired
  PrivateEgress egress;

  private final HttpClient probe = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private String apiUrl() {
    return "http://my.api.private:" + api.getPort() + "/";
  }

  @Test
  @Order(1)
  void okHttpClientAndRestClientReachThePrivateNameWithTheIdTokenAndRetryA503() throws Exception {
    api.enqueue(new MockResponse.Builder().code(503).body("busy").build());
    api.enqueue(new MockResponse.Builder().body("from okhttp").build());
    try (Response r = okHttpClient.newCall(new Request.Builder().url(apiUrl()).build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body().string()).isEqualTo("from okhttp");
    }
    assertTokenFor(AUDIENCE, api.takeRequest(5, TimeUnit.SECONDS));
    assertTokenFor(AUDIENCE, api.takeRequest(5, TimeUnit.SECONDS));

    api.enqueue(new MockResponse.Builder().code(503).body("busy").build());
    api.enqueue(new MockResponse.Builder().body("from restclient").build());
    String body = restClientBuilder.build().get().uri(apiUrl() + "items").retrieve().body(String.class);
    assertThat(body).isEqualTo("from restclient");
    RecordedRequest first = api.takeRequest(5, TimeUnit.SECONDS);
    assertThat(first.getTarget()).isEqualTo("/items");
    assertTokenFor(AUDIENCE, first);
    assertTokenFor(AUDIENCE, api.takeRequest(5, TimeUnit.SECONDS));
    assertThat(api.getRequestCount()).isEqualTo(4);
    assertThat(md.identityRequests(AUDIENCE)).as("ID tokens minted").isEqualTo(1);
  }

  @Test
  @Order(2)
  void theMetricsShowTheRetriesAndTheTokenFetch() throws Exception {
    String text = get("/actuator/prometheus").body();
    String target = "my.api.private:" + api.getPort();
    assertThat(value(text, "private_egress_retries_total", "target=\"" + target + "\"")).isEqualTo(2);
    assertThat(value(text, "private_egress_token_fetches_seconds_count", "kind=\"id\"", "outcome=\"success\""))
        .isEqualTo(1);
    assertThat(value(text, "private_egress_token_age_seconds", "kind=\"id\"")).isGreaterThanOrEqualTo(0);
    assertThat(text).contains("private_egress_info{").contains("platform=\"local\"");
  }

  @Test
  @Order(3)
  void attemptsAndCallsShowEachTryAndEachCall() throws Exception {
    String text = get("/actuator/prometheus").body();
    String target = "target=\"my.api.private:" + api.getPort() + "\"";
    // Two calls, each: one 503, one retry, one 200.
    assertThat(value(text, "private_egress_attempts_seconds_count", target, "outcome=\"503\"")).isEqualTo(2);
    assertThat(value(text, "private_egress_attempts_seconds_count", target, "outcome=\"200\"")).isEqualTo(2);
    assertThat(value(text, "private_egress_calls_total", target, "outcome=\"success\"")).isEqualTo(2);
    assertThat(value(text, "private_egress_call_attempts_sum", target, "outcome=\"success\"")).isEqualTo(4);
  }

  @Test
  @Order(4)
  void theInjectedUnifiedJedisIncrements() {
    long before = jedis.incr("app-counter");
    assertThat(jedis.incr("app-counter")).isEqualTo(before + 1);
  }

  @Test
  @Order(5)
  void readinessIs503WhileRedisIsDownAnd200OnceItIsUp() throws Exception {
    // Boot's own readiness group shows no details: its status alone says whether privateEgress is a member.
    assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);
    assertThat(get("/actuator/health/privateEgress").body()).contains("redis://127.0.0.1:" + redis.port)
        .contains("\"redis\"").contains("\"tcp\"");

    redis.shutdown();
    awaitStatus("/actuator/health/readiness", 503);
    String details = get("/actuator/health/privateEgress").body();
    assertThat(details).contains("\"DOWN\"").contains("\"advice\"").contains("redis://127.0.0.1:" + redis.port);
    assertThat(get("/actuator/health/liveness").statusCode()).as("liveness ignores private targets").isEqualTo(200);

    redis.restart();
    awaitStatus("/actuator/health/readiness", 200);
  }

  private HttpResponse<String> awaitStatus(String path, int status) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    HttpResponse<String> r = get(path);
    while (r.statusCode() != status && System.nanoTime() < deadline) {
      Thread.sleep(50);
      r = get(path);
    }
    assertThat(r.statusCode()).as("%s: %s", path, r.body()).isEqualTo(status);
    return r;
  }

  private HttpResponse<String> get(String path) throws Exception {
    return probe.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The value of the one sample of {@code name} whose labels contain every one of {@code labels}. */
  static double value(String prometheus, String name, String... labels) {
    Pattern line = Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE);
    Matcher m = line.matcher(prometheus);
    Double found = null;
    while (m.find()) {
      boolean all = true;
      for (String l : labels) {
        all &= m.group(1).contains(l);
      }
      if (all) {
        assertThat(found).as("more than one %s sample with %s", name, String.join(",", labels)).isNull();
        found = Double.parseDouble(m.group(2));
      }
    }
    assertThat(found).as("%s{%s} in%n%s", name, String.join(",", labels), prometheus.lines()
        .filter(s -> s.startsWith("private_egress")).reduce("", (a, b) -> a + b + "\n")).isNotNull();
    return found;
  }

  private static void assertTokenFor(String audience, RecordedRequest request) {
    assertThat(request).isNotNull();
    String header = request.getHeaders().get("Authorization");
    assertThat(header).startsWith("Bearer ");
    String[] parts = header.substring("Bearer ".length()).split("\\.");
    String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
    assertThat(payload).contains("\"aud\":\"" + audience + "\"");
  }
}
