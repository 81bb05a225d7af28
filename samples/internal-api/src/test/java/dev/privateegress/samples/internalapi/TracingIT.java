package dev.privateegress.samples.internalapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.samples.testing.SampleProcess;
import dev.privateegress.testing.FakeMetadataServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;

/**
 * With Boot's OTLP tracing endpoint set, the sample exports its traces, the SDK's attempt spans among them, and
 * its log lines carry the trace id that reached the internal API.
 */
class TracingIT {
  private static final Path JAR = Path.of(System.getProperty("sample.jar", "target/internal-api.jar"));

  @Test
  void exportsTheAttemptsOverOtlpAndLogsTheTraceId() throws Exception {
    try (FakeMetadataServer metadata = FakeMetadataServer.start(); MockWebServer api = new MockWebServer();
        MockWebServer collector = new MockWebServer()) {
      api.start();
      collector.start();
      Map<String, String> env = Map.of(
          "INTERNAL_API_URL", "http://my.api.private:" + api.getPort() + "/v1/status",
          "PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1",
          "PRIVATE_EGRESS_AUDIENCES", "my.api.private=1234567890-abcdef.apps.googleusercontent.com",
          "GCE_METADATA_HOST", metadata.hostPort(),
          "MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_OTLP_ENDPOINT", "http://127.0.0.1:" + collector.getPort()
              + "/v1/traces",
          "MANAGEMENT_TRACING_SAMPLING_PROBABILITY", "1.0",
          // the SDK logs its retry decision at debug: that line must carry the trace id
          "LOGGING_LEVEL_DEV_PRIVATEEGRESS_HTTP", "DEBUG");
      try (SampleProcess app = SampleProcess.start(JAR, env)) {
        api.enqueue(new MockResponse.Builder().code(503).build());
        api.enqueue(new MockResponse.Builder().code(200).body("{\"ok\":true}").build());
        HttpResponse<String> ok = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create(app.url("/"))).timeout(Duration.ofSeconds(60)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        String first = api.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("traceparent");
        String second = api.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("traceparent");
        String traceId = first.split("-")[1];
        assertThat(second.split("-")[1]).isEqualTo(traceId);
        assertThat(second.split("-")[2]).as("each attempt its own span").isNotEqualTo(first.split("-")[2]);

        // Boot's batch processor exports within seconds; the body is OTLP protobuf, its strings are plain UTF-8
        StringBuilder exported = new StringBuilder();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!exported.toString().contains("http.request.resend_count") && System.nanoTime() < until) {
          RecordedRequest export = collector.takeRequest(1, TimeUnit.SECONDS);
          if (export != null) {
            assertThat(export.getTarget()).isEqualTo("/v1/traces");
            exported.append(new String(export.getBody().toByteArray(), StandardCharsets.ISO_8859_1));
          }
        }
        assertThat(exported.toString()).contains("http.request.resend_count", "private_egress.token",
            "fetch id token");
        assertThat(app.output()).containsPattern(traceId + "[^\n]*retry 1 in");
      }
    }
  }
}
