package dev.privateegress.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.PrivateEgress;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/** The privateEgress contributor against real servers on loopback. */
class PrivateEgressHealthIndicatorTest {
  private static PrivateEgress egress(Map<String, String> env) {
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("NO_GCE_CHECK", "true");
    return PrivateEgress.builder().environment(all).build();
  }

  @Test
  void upWithTheDoctorsChecksWhenRedisAnswersDownWithAdviceWhenItDoesNot() throws Exception {
    try (TestRedis redis = TestRedis.start()) {
      PrivateEgress egress = egress(Map.of("REDIS_URL", redis.url));
      PrivateEgressHealthIndicator up = new PrivateEgressHealthIndicator(egress,
          PrivateEgressHealthAutoConfiguration.targets(egress, List.of()), Duration.ofSeconds(10), Duration.ZERO);
      Health health = up.health();
      assertThat(health.getStatus()).isEqualTo(Status.UP);
      assertThat(checkNames(health, "redis://127.0.0.1:" + redis.port)).contains("tcp", "redis");

      redis.shutdown();
      Health down = up.health();
      assertThat(down.getStatus()).isEqualTo(Status.DOWN);
      Map<String, Object> target = target(down, "redis://127.0.0.1:" + redis.port);
      assertThat(target).containsEntry("status", "DOWN");
      assertThat(checks(target)).anySatisfy(c -> {
        assertThat(c).containsEntry("check", "tcp").containsEntry("ok", false);
        assertThat((String) c.get("advice")).isNotBlank();
      });
    }
  }

  @Test
  void theRedisPasswordNeverAppearsInTheDetails() throws Exception {
    try (TestRedis redis = TestRedis.startWithPassword("s3cret-auth-string")) {
      PrivateEgress egress = egress(Map.of("REDIS_URL", "redis://:s3cret-auth-string@127.0.0.1:" + redis.port));
      PrivateEgressHealthIndicator indicator = new PrivateEgressHealthIndicator(egress,
          PrivateEgressHealthAutoConfiguration.targets(egress, List.of()), Duration.ofSeconds(10), Duration.ZERO);
      Health ok = indicator.health();
      assertThat(ok.getStatus()).isEqualTo(Status.UP); // AUTH came from the configuration
      PrivateEgress wrong = egress(Map.of("REDIS_URL", "redis://:wrong-s3cret@127.0.0.1:" + redis.port));
      Health refused = new PrivateEgressHealthIndicator(wrong,
          PrivateEgressHealthAutoConfiguration.targets(wrong, List.of()), Duration.ofSeconds(10), Duration.ZERO).health();
      assertThat(refused.getStatus()).isEqualTo(Status.DOWN);
      assertThat(ok.toString() + refused).doesNotContain("s3cret");
    }
  }

  @Test
  void aProbeStormIsOneRoundOfChecksNotAConnectionStorm() throws Exception {
    AtomicInteger accepted = new AtomicInteger();
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        while (!server.isClosed()) {
          try (Socket s = server.accept()) {
            accepted.incrementAndGet();
          } catch (IOException e) {
            return;
          }
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      PrivateEgressHealthIndicator indicator = new PrivateEgressHealthIndicator(egress(Map.of()),
          List.of("tcp://127.0.0.1:" + server.getLocalPort()), Duration.ofSeconds(10), Duration.ofMinutes(5));
      int probes = 200;
      ExecutorService pool = Executors.newFixedThreadPool(16);
      try {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Health>> results = new ArrayList<>();
        for (int i = 0; i < probes; i++) {
          results.add(pool.submit(() -> {
            go.await();
            return indicator.health();
          }));
        }
        go.countDown();
        for (Future<Health> f : results) {
          assertThat(f.get(20, TimeUnit.SECONDS).getStatus()).isEqualTo(Status.UP);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(accepted.get()).as("connections for %d probes", probes).isEqualTo(1);
    }
  }

  @Test
  void aProbeWaitsAtMostTheTimeoutAndTheRoundFinishesForTheNextProbe() throws Exception {
    // Accepts and never answers: the http check waits for its own bound (seconds), the probe does not.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      PrivateEgressHealthIndicator indicator = new PrivateEgressHealthIndicator(egress(Map.of()),
          List.of("http://127.0.0.1:" + silent.getLocalPort() + "/"), Duration.ofMillis(200), Duration.ofMinutes(5));
      Health first = indicator.health();
      assertThat(first.getStatus()).isEqualTo(Status.DOWN);
      assertThat(first.getDetails().get("error")).asString().contains("private-egress.readiness.timeout");
      Health later = first;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (later.getDetails().containsKey("error") && System.nanoTime() < deadline) {
        Thread.sleep(100);
        later = indicator.health();
      }
      assertThat(later.getStatus()).isEqualTo(Status.DOWN);
      assertThat(later.getDetails()).containsKey("targets");
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> target(Health health, String target) {
    Map<String, Object> targets = (Map<String, Object>) health.getDetails().get("targets");
    assertThat(targets).as("targets in %s", health).containsKey(target);
    return (Map<String, Object>) targets.get(target);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> checks(Map<String, Object> target) {
    return (List<Map<String, Object>>) target.get("checks");
  }

  private static List<Object> checkNames(Health health, String target) {
    return checks(target(health, target)).stream().map(c -> c.get("check")).toList();
  }
}
