package dev.privateegress.samples.relay;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Replaces the nginx relay container of the Eventarc field reports: {@code POST /} takes a Pub/Sub push
 * envelope or a binary-mode CloudEvent and forwards it into the VPC to {@code RELAY_TARGET_URL} through the
 * SDK, with {@code Idempotency-Key} = message id / {@code ce-id} so that retries are safe and the receiver
 * can de-duplicate. 204 when delivered, 503 when the target still fails after retries (Pub/Sub redelivers),
 * 400 for malformed input. The push token ({@code RELAY_PUSH_AUDIENCE}, {@code RELAY_PUSH_SERVICE_ACCOUNT}) is
 * verified before the body is read; on Google Cloud the relay does not start without it unless
 * {@code RELAY_PUSH_VERIFY=off}.
 */
@SpringBootApplication
public class PubSubRelayApplication {

  /**
   * Starts the relay on {@code PORT} (default 8080).
   *
   * @param args Spring Boot arguments
   */
  public static void main(String[] args) {
    SpringApplication.run(PubSubRelayApplication.class, args);
  }
}
