package dev.privateegress.samples.internalapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.privateegress.samples.testing.SampleProcess;
import dev.privateegress.testing.FakeMetadataServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code java -Xmx64m -jar internal-api.jar} in front of an upstream that misbehaves: error pages with secrets,
 * a body larger than the heap, a redirect to another port. What the outside caller gets back, and what the
 * upstream got.
 */
class InternalApiFrontDoorIT {
  private static final Path JAR = Path.of(System.getProperty("sample.jar", "target/internal-api.jar"));
  private static final String AUDIENCE = "https://my.api.private";
  private static final String FIXED = "[\\x20-\\x7e]{5,120} \\(request id ([0-9a-f]{12})\\)\n";
  private static final long LARGE = 96L << 20;

  private static final AtomicReference<String> mode = new AtomicReference<>("ok");
  private static final List<String> tokensSeenByOtherPort = new CopyOnWriteArrayList<>();
  private static FakeMetadataServer metadata;
  private static HttpServer upstream;
  private static HttpServer otherPort;
  private static SampleProcess app;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    metadata = FakeMetadataServer.start();
    otherPort = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    otherPort.createContext("/", ex -> {
      tokensSeenByOtherPort.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
      send(ex, 200, "text/plain", "moved here".getBytes(StandardCharsets.UTF_8));
    });
    otherPort.start();
    upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    upstream.createContext("/", InternalApiFrontDoorIT::upstream);
    upstream.start();
    app = SampleProcess.start(JAR, Map.of(
        "INTERNAL_API_URL", "http://my.api.private:" + upstream.getAddress().getPort() + "/v1",
        "PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1",
        "PRIVATE_EGRESS_AUDIENCES", "my.api.private=" + AUDIENCE,
        "GCE_METADATA_HOST", metadata.hostPort()), List.of("-Xmx64m"));
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.close();
    }
    upstream.stop(0);
    otherPort.stop(0);
    metadata.close();
  }

  private static void upstream(HttpExchange ex) throws IOException {
    switch (mode.get()) {
      case "secret-500" -> send(ex, 500, "text/html",
          "<html><body>java.sql.SQLException: password=hunter2 at db-7.internal:5432</body></html>".getBytes(StandardCharsets.UTF_8));
      case "large" -> {
        ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
        ex.sendResponseHeaders(200, LARGE);
        byte[] chunk = new byte[1 << 16];
        try (OutputStream out = ex.getResponseBody()) {
          for (long sent = 0; sent < LARGE; sent += chunk.length) {
            out.write(chunk);
          }
        }
      }
      case "redirect-port" -> {
        ex.getResponseHeaders().add("Location", "http://my.api.private:" + otherPort.getAddress().getPort() + "/next");
        ex.sendResponseHeaders(302, -1);
        ex.close();
      }
      case "bad-type" -> send(ex, 200, "not a media type", "fine".getBytes(StandardCharsets.UTF_8));
      default -> send(ex, 200, "application/json", "{\"ok\":true}".getBytes(StandardCharsets.UTF_8));
    }
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
    ex.getResponseHeaders().add("Content-Type", type);
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  @Test
  void anUpstreamErrorPageIsMappedAndStaysInside() throws Exception {
    mode.set("secret-500");
    HttpResponse<String> r = client.send(get(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).matches("internal API answered 500 " + FIXED.substring(FIXED.indexOf("\\(")))
        .doesNotContain("hunter2", "html", "db-7");
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
    String id = r.body().replaceAll("(?s).*request id ([0-9a-f]{12}).*", "$1");
    assertThat(app.output()).containsPattern("request " + id + ": GET http://my.api.private:\\d+/v1 answered 500");
  }

  @Test
  void anAnswerWithAContentTypeSpringCannotParseIsStillRelayed() throws Exception {
    mode.set("bad-type");
    HttpResponse<String> r = client.send(get(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("fine");
  }

  @Test
  void aBodyLargerThanTheHeapIsStreamed() throws Exception {
    mode.set("large");
    HttpResponse<InputStream> r = client.send(get(), HttpResponse.BodyHandlers.ofInputStream());
    long n;
    try (InputStream in = r.body()) {
      n = in.transferTo(OutputStream.nullOutputStream());
    }
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(n).as("96 MB through a 64 MB heap").isEqualTo(LARGE);
    assertThat(app.output()).doesNotContain("OutOfMemoryError");
  }

  @Test
  void aRedirectToAnotherPortDoesNotCarryTheToken() throws Exception {
    mode.set("redirect-port");
    HttpResponse<String> r = client.send(get(), HttpResponse.BodyHandlers.ofString());
    assertThat(tokensSeenByOtherPort).as(r.statusCode() + " " + r.body()).isNotEmpty().containsOnly("null");
  }

  private HttpRequest get() {
    return HttpRequest.newBuilder(URI.create(app.url("/"))).timeout(Duration.ofSeconds(120)).build();
  }
}
