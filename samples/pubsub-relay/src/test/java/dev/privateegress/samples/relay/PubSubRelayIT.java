package dev.privateegress.samples.relay;

import dev.privateegress.samples.testing.SampleProcess;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code java -jar pubsub-relay.jar} between a push sender (this test, with tokens signed by keys it
 * serves on loopback) and a receiver behind {@code my.api.private} (a MockWebServer).
 */
class PubSubRelayIT {
  private static final Path JAR = Path.of(System.getProperty("sample.jar", "target/pubsub-relay.jar"));
  private static final String AUD = "https://relay-abc123-uc.a.run.app/";
  private static final String PUSH = "{\"message\":{\"attributes\":{\"k\":\"v\"},\"data\":\"SGVsbG8=\","
      + "\"messageId\":\"136969346945\",\"publishTime\":\"2026-11-26T12:00:00Z\"},"
      + "\"subscription\":\"projects/p/subscriptions/s\"}";
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void relaysVerifiedDeliveriesAndAnswers204Or503Or400Or401Or403() throws Exception {
    try (TestTokens tokens = new TestTokens(); MockWebServer receiver = new MockWebServer()) {
      receiver.start();
      Map<String, String> env = Map.of(
          "RELAY_TARGET_URL", "http://my.api.private:" + receiver.getPort() + "/events",
          "PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1",
          "RELAY_PUSH_AUDIENCE", AUD,
          "RELAY_PUSH_SERVICE_ACCOUNT", TestTokens.PUSH_ACCOUNT,
          "RELAY_PUSH_CERTS_URL", tokens.certsUrl());
      try (SampleProcess relay = SampleProcess.start(JAR, env)) {
        String good = "Bearer " + tokens.sign(TestTokens.pushClaims(AUD));

        // Pub/Sub push envelope: forwarded as is, keyed by the message id.
        receiver.enqueue(new MockResponse.Builder().code(200).build());
        HttpResponse<String> pushed = post(relay, Map.of("Authorization", good, "Content-Type", "application/json"), PUSH);
        assertThat(pushed.statusCode()).as(pushed.body() + relay.output()).isEqualTo(204);
        RecordedRequest r = receiver.takeRequest(5, TimeUnit.SECONDS);
        assertThat(r.getMethod()).isEqualTo("POST");
        assertThat(r.getTarget()).isEqualTo("/events");
        assertThat(r.getBody().utf8()).isEqualTo(PUSH);
        assertThat(r.getHeaders().get("Idempotency-Key")).isEqualTo("136969346945");
        assertThat(r.getHeaders().get("Content-Type")).startsWith("application/json");
        assertThat(r.getHeaders().get("Authorization")).as("the push token stays with the relay").isNull();

        // Eventarc binary-mode CloudEvent: body and every ce-* header, keyed by ce-id.
        receiver.enqueue(new MockResponse.Builder().code(202).build());
        HttpResponse<String> event = post(relay, Map.of("Authorization", good, "Content-Type", "application/json",
            "ce-id", "evt-77", "ce-source", "//pubsub.googleapis.com/projects/p/topics/t", "ce-specversion", "1.0",
            "ce-type", "google.cloud.pubsub.topic.v1.messagePublished", "ce-time", "2026-11-26T12:00:00Z"), PUSH);
        assertThat(event.statusCode()).isEqualTo(204);
        r = receiver.takeRequest(5, TimeUnit.SECONDS);
        assertThat(r.getHeaders().get("Idempotency-Key")).isEqualTo("evt-77");
        assertThat(r.getHeaders().get("ce-id")).isEqualTo("evt-77");
        assertThat(r.getHeaders().get("ce-type")).isEqualTo("google.cloud.pubsub.topic.v1.messagePublished");
        assertThat(r.getHeaders().get("ce-source")).isEqualTo("//pubsub.googleapis.com/projects/p/topics/t");
        assertThat(r.getHeaders().get("ce-time")).isEqualTo("2026-11-26T12:00:00Z");
        assertThat(r.getBody().utf8()).isEqualTo(PUSH);
        int before = receiver.getRequestCount();

        // The receiver keeps failing: retried (the Idempotency-Key makes the POST safe), then 503 so Pub/Sub redelivers.
        for (int i = 0; i < 20; i++) {
          receiver.enqueue(new MockResponse.Builder().code(503).build());
        }
        HttpResponse<String> failed = post(relay, Map.of("Authorization", good, "Content-Type", "application/json"), PUSH);
        assertThat(failed.statusCode()).isEqualTo(503);
        assertThat(failed.body()).contains("answered 503").contains("redeliver");
        int attempts = receiver.getRequestCount() - before;
        assertThat(attempts).as("retried, within the SDK's limits").isBetween(2, 10);
        for (int i = 0; i < attempts; i++) {
          assertThat(receiver.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("Idempotency-Key")).isEqualTo("136969346945");
        }
        receiver.close(); // drop the 503s still queued: nothing below may reach the receiver
        int reached = receiver.getRequestCount();

        HttpResponse<String> malformed = post(relay, Map.of("Authorization", good, "Content-Type", "application/json"),
            "{\"message\":{\"data\":\"SGk=\"}}");
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(malformed.body()).contains("messageId");

        HttpResponse<String> wrongAud = post(relay, Map.of("Authorization",
            "Bearer " + tokens.sign(TestTokens.pushClaims("https://other.example.com")), "Content-Type", "application/json"), PUSH);
        assertThat(wrongAud.statusCode()).isEqualTo(401);
        assertThat(wrongAud.body()).contains("audience");

        Map<String, Object> unverified = TestTokens.pushClaims(AUD);
        unverified.put("email_verified", false);
        HttpResponse<String> notVerified = post(relay, Map.of("Authorization", "Bearer " + tokens.sign(unverified),
            "Content-Type", "application/json"), PUSH);
        assertThat(notVerified.statusCode()).isEqualTo(403);
        assertThat(notVerified.body()).contains("not verified");

        HttpResponse<String> anonymous = post(relay, Map.of("Content-Type", "application/json"), PUSH);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(receiver.getRequestCount()).as("refused deliveries never reach the receiver").isEqualTo(reached);
        assertThat(relay.output()).doesNotContain(good.substring(7));
      }
    }
  }

  private HttpResponse<String> post(SampleProcess relay, Map<String, String> headers, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(relay.url("/"))).timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
