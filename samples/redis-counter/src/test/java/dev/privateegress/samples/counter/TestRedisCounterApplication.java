package dev.privateegress.samples.counter;

import org.springframework.boot.SpringApplication;

/**
 * The local demo, Spring Boot's way ({@code ./mvnw -pl samples/redis-counter spring-boot:test-run}): the
 * production application plus {@link LocalRedis}, which starts a throwaway redis-server when no Redis is
 * configured and stops it with the application, also when the JVM is killed.
 */
public final class TestRedisCounterApplication {
  private TestRedisCounterApplication() {}

  public static void main(String[] args) {
    SpringApplication.withHook(app -> {
      app.addInitializers(new LocalRedis());
      return null;
    }, () -> RedisCounterApplication.main(args));
  }
}
