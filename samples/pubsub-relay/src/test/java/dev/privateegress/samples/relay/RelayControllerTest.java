package dev.privateegress.samples.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.PrivateEgress;
import dev.privateegress.http.PrivateHttp;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;

/** The controller in-process, forwarding to a real HTTP server on loopback. */
class RelayControllerTest {

  private static RelayController relay(MockWebServer receiver) {
    PrivateEgress egress = PrivateEgress.builder().environment(Map.of("NO_GCE_CHECK", "true")).build();
    RelaySettings settings = RelaySettings.from(Map.of("RELAY_TARGET_URL", receiver.url("/events").toString())::get);
    return new RelayController(PrivateHttp.newClient(egress), settings);
  }

  @Test
  void aCeHeaderHttpCannotCarryIsA400AndNothingIsForwarded() throws Exception {
    try (MockWebServer receiver = new MockWebServer()) {
      receiver.start();
      HttpHeaders h = new HttpHeaders();
      h.add("ce-id", "id-\u00e9\u00e8"); // Tomcat hands over ISO-8859-1 bytes as such characters
      h.add("ce-source", "s");
      h.add("ce-specversion", "1.0");
      h.add("ce-type", "t");
      ResponseEntity<String> r = relay(receiver).relay(h, "{}".getBytes(StandardCharsets.UTF_8));
      assertThat(r.getStatusCode().value()).isEqualTo(400);
      assertThat(r.getBody()).contains("percent-encoded");
      assertThat(receiver.getRequestCount()).isZero();
    }
  }

  @Test
  void aDeliveredCloudEventIsA204() throws Exception {
    try (MockWebServer receiver = new MockWebServer()) {
      receiver.start();
      receiver.enqueue(new MockResponse.Builder().code(200).build());
      HttpHeaders h = new HttpHeaders();
      h.add("ce-id", "id-1");
      h.add("ce-source", "s");
      h.add("ce-specversion", "1.0");
      h.add("ce-type", "t");
      ResponseEntity<String> r = relay(receiver).relay(h, "{}".getBytes(StandardCharsets.UTF_8));
      assertThat(r.getStatusCode().value()).isEqualTo(204);
      assertThat(receiver.takeRequest().getHeaders().get("Idempotency-Key")).isEqualTo("id-1");
    }
  }
}
