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
        assertThat(notFound.body()).matches("not found at the internal API \\(request id [0-9a-f]{12}\\)\n");
        assertThat(api.getRequestCount()).as("a 404 is answered, not retried").isEqualTo(3);

        api.enqueue(new MockResponse.Builder().code(500).addHeader("Content-Type", "text/html")
            .body("<html>java.sql.SQLException: password=hunter2 at db-7.internal</html>").build());
        HttpResponse<String> error = get(fn.url("/"));
        assertThat(error.statusCode()).isEqualTo(502);
        assertThat(error.body()).matches("internal API answered 500 \\(request id [0-9a-f]{12}\\)\n")
            .doesNotContain("hunter2", "db-7");
        String errorId = error.body().substring(error.body().indexOf("id ") + 3, error.body().indexOf(')'));
        assertThat(fn.output()).contains("request " + errorId + ": GET http://my.api.private:" + api.getPort()
            + "/items answered 500");

        HttpResponse<String> post = client.send(HttpRequest.newBuilder(URI.create(fn.url("/")))
            .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);

        api.close(); // the API goes away
        HttpResponse<String> down = get(fn.url("/"));
        assertThat(down.statusCode()).isEqualTo(502);
        assertThat(down.body()).matches("internal API unreachable \\(request id [0-9a-f]{12}\\)\n")
            .doesNotContain("my.api.private", "127.0.0.1", metadata.hostPort(), AUDIENCE);
        String id = down.body().substring(down.body().indexOf("id ") + 3, down.body().indexOf(')'));
        assertThat(fn.output()).contains("request " + id + ": GET http://my.api.private:" + api.getPort() + "/items failed")
            .doesNotContain("limit=2"); // no query string (it may carry secrets)
      }
    }
  }

  @Test
  void aRedirectToAnotherPortDoesNotCarryTheToken() throws Exception {
    Path jar = Path.of(System.getProperty("sample.jar", "target/function-caller.jar"));
    try (FakeMetadataServer metadata = FakeMetadataServer.start(); MockWebServer api = new MockWebServer();
         MockWebServer other = new MockWebServer()) {
      api.start();
      other.start();
      api.enqueue(new MockResponse.Builder().code(302)
          .addHeader("Location", "http://my.api.private:" + other.getPort() + "/next").build());
      other.enqueue(new MockResponse.Builder().code(200).body("moved").build());
      Map<String, String> env = Map.of(
          "INTERNAL_API_URL", "http://my.api.private:" + api.getPort() + "/items",
          "PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1",
          "PRIVATE_EGRESS_AUDIENCES", "my.api.private=" + AUDIENCE,
          "GCE_METADATA_HOST", metadata.hostPort());
      try (SampleProcess fn = SampleProcess.start(jar, env)) {
        HttpResponse<String> r = get(fn.url("/"));
        assertThat(api.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("Authorization")).isNotNull();
        RecordedRequest moved = other.takeRequest(5, TimeUnit.SECONDS);
        assertThat(moved).as(r.statusCode() + " " + r.body()).isNotNull();
        assertThat(moved.getHeaders().get("Authorization")).as("the token stays with its origin").isNull();
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
