package dev.privateegress.samples.internalapi;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The App Engine to internal load balancer field report, in Java: {@code GET /} calls {@code INTERNAL_API_URL}
 * (default {@code http://my.api.private/}, a GKE service behind an internal load balancer and a private Cloud
 * DNS zone) through a {@code RestClient} built from the starter's builder, so the call gets the SDK's DNS
 * overrides, an ID token when {@code PRIVATE_EGRESS_AUDIENCES} maps the host, and safe retries; the answer's
 * status and body are relayed.
 */
@SpringBootApplication
public class InternalApiApplication {

  /**
   * Starts the service on {@code PORT} (default 8080).
   *
   * @param args Spring Boot arguments
   */
  public static void main(String[] args) {
    SpringApplication.run(InternalApiApplication.class, args);
  }
}
