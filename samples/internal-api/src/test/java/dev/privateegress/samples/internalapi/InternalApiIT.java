package dev.privateegress.samples.internalapi;

import dev.privateegress.samples.testing.SampleProcess;
import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.testing.FakeMetadataServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;

/** Runs {@code java -jar internal-api.jar} against a stand-in for the internal load balancer on loopback. */
class InternalApiIT {
  private static final Path JAR = Path.of(System.getProperty("sample.jar", "target/internal-api.jar"));
  /** An IAP-protected internal load balancer wants its OAuth client ID as the audience. */
  private static final String AUDIENCE = "1234567890-abcdef.apps.googleusercontent.com";
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void theProductionJarHoldsNoTestKit() throws Exception {
    try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(JAR.toFile())) {
      List<String> names = jar.stream().map(java.util.zip.ZipEntry::getName).toList();
      assertThat(names).contains("BOOT-INF/classes/dev/privateegress/samples/internalapi/InternalApiApplication.class");
      assertThat(names).filteredOn(n -> n.contains("dev/privateegress/testing") || n.contains("embedded-redis")
          || n.contains("private-egress-testing") || n.contains("mockwebserver") || n.contains("LocalStandIn")
          || n.contains("TestInternalApiApplication")).isEmpty();
      for (String lib : names.stream().filter(n -> n.startsWith("BOOT-INF/lib/")).toList()) {
        try (java.util.zip.ZipInputStream in = new java.util.zip.ZipInputStream(jar.getInputStream(jar.getEntry(lib)))) {
          for (java.util.zip.ZipEntry e; (e = in.getNextEntry()) != null; ) {
            assertThat(e.getName()).as(lib).doesNotContain("dev/privateegress/testing").doesNotContain("FakeMetadataServer");
          }
        }
      }
    }
  }

  @Test
  void sendsTheMappedAudienceRetriesA503AndRelaysStatusAndBody() throws Exception {
    try (FakeMetadataServer metadata = FakeMetadataServer.start(); MockWebServer api = new MockWebServer()) {
      api.start();
      Map<String, String> env = Map.of(
          "INTERNAL_API_URL", "http://my.api.private:" + api.getPort() + "/v1/status",
          "PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1",
          "PRIVATE_EGRESS_AUDIENCES", "my.api.private=" + AUDIENCE,
          "GCE_METADATA_HOST", metadata.hostPort());
      try (SampleProcess app = SampleProcess.start(JAR, env)) {
        api.enqueue(new MockResponse.Builder().code(503).body("warming up").build());
        api.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json")
            .body("{\"ok\":true}").build());
        HttpResponse<String> ok = get(app.url("/"));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo("{\"ok\":true}");
        assertThat(ok.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        for (int i = 0; i < 2; i++) {
          RecordedRequest r = api.takeRequest(5, TimeUnit.SECONDS);
          assertThat(r.getTarget()).isEqualTo("/v1/status");
          assertThat(LocalStandIn.audience(r.getHeaders().get("Authorization"))).isEqualTo(AUDIENCE);
        }
        assertThat(metadata.identityRequests(AUDIENCE)).isEqualTo(1);

        api.enqueue(new MockResponse.Builder().code(418).body("teapot").build());
        HttpResponse<String> teapot = get(app.url("/"));
        assertThat(teapot.statusCode()).as("an upstream error is mapped, its body stays inside").isEqualTo(502);
        assertThat(teapot.body()).matches("internal API answered 418 \\(request id [0-9a-f]{12}\\)\n");
        assertThat(api.getRequestCount()).isEqualTo(3);

        api.close();
        HttpResponse<String> down = get(app.url("/"));
        assertThat(down.statusCode()).isEqualTo(502);
        assertThat(down.body()).matches("internal API unreachable \\(request id ([0-9a-f]{12})\\)\n")
            .doesNotContain("my.api.private", "127.0.0.1", metadata.hostPort(), AUDIENCE);
        String id = down.body().substring(down.body().indexOf("id ") + 3, down.body().indexOf(')'));
        assertThat(app.output()).contains("request " + id + ": GET http://my.api.private:" + api.getPort()
            + "/v1/status failed");
      }
    }
  }

  @Test
  void theStandInModeRunsTheWholePathOnALaptop() throws Exception {
    try (SampleProcess app = SampleProcess.startMain(TestInternalApiApplication.class.getName(), Map.of("INTERNAL_API_STAND_IN", "true"))) {
      HttpResponse<String> r = get(app.url("/"));
      assertThat(r.statusCode()).as(r.body() + app.output()).isEqualTo(200);
      assertThat(r.body()).contains("\"from\":\"stand-in for my.api.private\"")
          .contains("\"idTokenAudience\":\"" + LocalStandIn.AUDIENCE + "\"");
      assertThat(app.output()).contains("Internal API caller ready: curl http://localhost:" + app.port + "/");
    }
  }

  private HttpResponse<String> get(String url) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
