package dev.privateegress.samples.function;

import dev.privateegress.samples.testing.SampleProcess;
import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.testing.FakeMetadataServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code java -jar function-caller.jar} (the Functions Framework invoker with {@link CallerFunction})
 * against a stand-in for {@code http://my.api.private} on loopback and the SDK's fake metadata server.
 */
class FunctionJarIT {
  private static final String AUDIENCE = "https://my-api.example.com";
  private final HttpClient client = HttpClient.newHttpClient();

  @Test
  void answersThroughTheInvokerWithATokenRetriesA503AndExplainsAnUnreachableApi() throws Exception {
    Path jar = Path.of(System.getProperty("sample.jar", "target/function-caller.jar"));
    try (FakeMetadataServer metadata = FakeMetadataServer.start(); MockWebServer api = new MockWebServer()) {
      api.start();
      Map<String, String> env = Map.of(
          "INTERNAL_API_URL", "http://my.api.private:" + api.getPort() + "/items?limit=2",
          "PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1",
          "PRIVATE_EGRESS_AUDIENCES", "my.api.private=" + AUDIENCE,
          "GCE_METADATA_HOST", metadata.hostPort());
      try (SampleProcess fn = SampleProcess.start(jar, env)) {
        api.enqueue(new MockResponse.Builder().code(503).body("busy").build());
        api.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json")
            .body("{\"items\":[1,2]}").build());
        HttpResponse<String> ok = get(fn.url("/"));
        assertThat(ok.statusCode()).as(fn.output()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo("{\"items\":[1,2]}");
        assertThat(ok.headers().firstValue("Content-Type")).hasValueSatisfying(
            t -> assertThat(t).startsWith("application/json"));
        for (int i = 0; i < 2; i++) { // the 503 and the retry
          RecordedRequest r = api.takeRequest(5, TimeUnit.SECONDS);
          assertThat(r).isNotNull();
          assertThat(r.getTarget()).isEqualTo("/items?limit=2");
          assertThat(r.getHeaders().get("Host")).isEqualTo("my.api.private:" + api.getPort());
          assertThat(audienceOf(r.getHeaders().get("Authorization"))).isEqualTo(AUDIENCE);
        }
        assertThat(metadata.identityRequests(AUDIENCE)).as("one token, cached for the retry").isEqualTo(1);

        api.enqueue(new MockResponse.Builder().code(404).body("no such items").build());
        HttpResponse<String> notFound = get(fn.url("/"));
        assertThat(notFound.statusCode()).isEqualTo(404);
        assertThat(notFound.body()).isEqualTo("no such items");
        assertThat(api.getRequestCount()).as("a 404 is relayed, not retried").isEqualTo(3);

        HttpResponse<String> post = client.send(HttpRequest.newBuilder(URI.create(fn.url("/")))
            .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);

        api.close(); // the API goes away
        HttpResponse<String> down = get(fn.url("/"));
        assertThat(down.statusCode()).isEqualTo(502);
        assertThat(down.body()).startsWith("internal API http://my.api.private:" + api.getPort() + "/items unreachable: ")
            .doesNotContain("\tat ").endsWith("\n");
        assertThat(down.body().strip()).doesNotContain("\n");
        assertThat(down.body()).doesNotContain("limit=2"); // no query string (it may carry secrets)
      }
    }
  }

  private HttpResponse<String> get(String url) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  /** The {@code aud} claim of the bearer token (the fake metadata server's tokens are plain JWTs). */
  static String audienceOf(String authorization) {
    assertThat(authorization).startsWith("Bearer ");
    String[] parts = authorization.substring(7).split("\\.");
    String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"aud\"\\s*:\\s*\"([^\"]*)\"").matcher(payload);
    assertThat(m.find()).as(payload).isTrue();
    return m.group(1);
  }
}
