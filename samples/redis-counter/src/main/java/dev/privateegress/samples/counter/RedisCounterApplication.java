package dev.privateegress.samples.counter;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The visitor counter of the Direct VPC egress field report, in Java: {@code GET /} answers
 * {@code {"Hello":"World"}}, {@code GET /redis} answers {@code Visitor number: N} (INCR {@code counter}).
 *
 * <p>Redis comes from {@code REDISHOST}/{@code REDISPORT} or {@code REDIS_URL} (Memorystore, through a
 * connector or Direct VPC egress). The local demo, {@code TestRedisCounterApplication} in {@code src/test}
 * ({@code ./mvnw spring-boot:test-run}), adds a throwaway redis-server; the production jar carries no test kit.
 */
@SpringBootApplication
public class RedisCounterApplication {

  /**
   * Starts the service on {@code PORT} (default 8080).
   *
   * @param args Spring Boot arguments, e.g. {@code --private-egress.redis.url=redis://10.0.0.3:6379}
   */
  public static void main(String[] args) {
    SpringApplication.run(RedisCounterApplication.class, args);
  }
}
