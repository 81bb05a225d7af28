package dev.privateegress.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.privateegress.PrivateEgress;
import dev.privateegress.testing.FakeMetadataServer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code private.egress.info} follows the egress verdict: on Cloud Run with nothing declared it starts as
 * {@code unknown}; once detection reads the service from the admin API (a real HTTP server here) the meter
 * shows {@code direct-vpc}, in a single row.
 */
class PrivateEgressInfoMeterTest {
  private static final String RUN_SERVICE = "/v2/projects/test-project/locations/us-central1/services/api";
  private static final String DIRECT_VPC = """
      {"name": "projects/test-project/locations/us-central1/services/api",
       "template": {"vpcAccess": {"egress": "ALL_TRAFFIC",
         "networkInterfaces": [{"network": "shared-vpc", "subnetwork": "run-direct"}]}}}""";

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final AtomicInteger adminApiRequests = new AtomicInteger();
  private FakeMetadataServer metadata;
  private HttpServer adminApi;

  @BeforeEach
  void start() throws IOException {
    metadata = FakeMetadataServer.start();
    adminApi = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    adminApi.createContext(RUN_SERVICE, exchange -> {
      adminApiRequests.incrementAndGet();
      byte[] body = DIRECT_VPC.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    adminApi.start();
  }

  @AfterEach
  void stop() {
    adminApi.stop(0);
    metadata.close();
  }

  @Test
  void theMeterShowsAVerdictDetectedAfterStartUpInOneRow() {
    PrivateEgress egress = PrivateEgress.builder()
        .environment(Map.of("K_SERVICE", "api", "K_REVISION", "api-00007-xyz", "K_CONFIGURATION", "api",
            "GCE_METADATA_HOST", metadata.hostPort()))
        .adminApiBaseUrl("http://127.0.0.1:" + adminApi.getAddress().getPort())
        .build();
    new PrivateEgressInfoMeter(egress).bindTo(registry);

    assertThat(infoRows()).extracting(g -> g.getId().getTag("mode")).containsExactly("unknown");
    assertThat(infoRows().iterator().next().value()).isEqualTo(1);
    assertThat(infoRows().iterator().next().getId().getTag("platform")).isEqualTo("cloud-run-service");
    assertThat(adminApiRequests).hasValue(0); // reading the meter does no I/O

    egress.egress(); // detection, e.g. by the readiness check, some time after start-up
    assertThat(adminApiRequests).hasValue(1);

    // The registry's next read finds the row stale: it reads NaN (never 1 with the old tags) and is replaced.
    assertThat(infoRows().iterator().next().value()).isNaN();
    assertThat(infoRows()).singleElement().satisfies(g -> {
      assertThat(g.getId().getTag("mode")).isEqualTo("direct-vpc");
      assertThat(g.getId().getTag("scope")).isEqualTo("all-traffic");
      assertThat(g.value()).isEqualTo(1);
    });
    assertThat(infoRows().iterator().next().value()).isEqualTo(1);
    assertThat(infoRows()).hasSize(1);
    assertThat(adminApiRequests).hasValue(1);
  }

  private java.util.Collection<Gauge> infoRows() {
    return registry.find("private.egress.info").gauges();
  }
}
