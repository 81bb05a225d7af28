package dev.privateegress.samples.internalapi;

import org.springframework.boot.SpringApplication;

/**
 * The local demo, Spring Boot's way ({@code INTERNAL_API_STAND_IN=true ./mvnw -pl samples/internal-api
 * spring-boot:test-run}): the production application plus {@link LocalStandIn}, the loopback stand-in for the
 * internal load balancer and the metadata server. The production jar carries neither.
 */
public final class TestInternalApiApplication {
  private TestInternalApiApplication() {}

  public static void main(String[] args) {
    SpringApplication.withHook(app -> {
      app.addInitializers(new LocalStandIn());
      return null;
    }, () -> InternalApiApplication.main(args));
  }
}
