package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryPolicy;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;

/** 5,000 INCRs while the server restarts twice: every OK counted once, every failure surfaced. */
class NoDoubleApplyTest {

  @Test
  void incrementsSurviveTwoRestartsWithoutDoubleApplying() throws Exception {
    int total = 5_000;
    try (RedisNode n = RedisLauncher.builder().appendOnly(true).start()) {
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("REDIS_URL", n.url(), "PRIVATE_EGRESS_STARTUP_GRACE", "PT0S"))
          .retryPolicy(RetryPolicy.defaults().withMaxAttempts(4).withBackoff(Duration.ofMillis(20), Duration.ofMillis(100)))
          .build();
      List<Long> replies = new ArrayList<>(total);
      List<JedisException> failures = new ArrayList<>();
      int[] thresholds = {1_500, 3_500};
      List<CountDownLatch> reached = List.of(new CountDownLatch(1), new CountDownLatch(1));
      AtomicReference<Throwable> restarterFailure = new AtomicReference<>();
      CountDownLatch restarted = new CountDownLatch(1);
      Thread restarter = new Thread(() -> {
        try {
          for (CountDownLatch latch : reached) {
            latch.await(); // parked until the INCR loop gets there
            // Hold writes so the INCR in flight is read but not run, then stop the server: that INCR's
            // connection dies after it was sent (ambiguous). SHUTDOWN writes the AOF, so every INCR that
            // ran survives the restart.
            n.command("CLIENT", "PAUSE", "10000", "WRITE");
            Thread.sleep(20);
            n.shutdown();
            n.start();
          }
        } catch (Throwable t) {
          restarterFailure.set(t);
        } finally {
          restarted.countDown();
        }
      }, "restarter");
      try (UnifiedJedis redis = PrivateRedis.connect(egress)) {
        restarter.start();
        for (int i = 0; i < total; i++) {
          for (int r = 0; r < thresholds.length; r++) {
            if (i == thresholds[r]) {
              reached.get(r).countDown();
            }
          }
          try {
            replies.add(redis.incr("counter"));
          } catch (JedisException e) {
            failures.add(e);
          }
        }
        restarted.await();
        assertThat(restarterFailure.get()).isNull();
        long counter = Long.parseLong((String) n.command("GET", "counter"));

        assertThat(replies.size() + failures.size()).isEqualTo(total);
        assertThat(failures).as("each restart fails at least the INCR in flight").hasSizeGreaterThanOrEqualTo(2);
        assertThat(failures).anyMatch(f -> f instanceof AmbiguousCommandException);
        assertThat(failures).as("a restart of a server that was serving is not blamed on TLS")
            .filteredOn(f -> f instanceof AmbiguousCommandException)
            .allSatisfy(f -> assertThat(f.getMessage()).doesNotContain("6378"));
        assertThat(counter).as("final counter == OK replies: no INCR applied twice or lost").isEqualTo(replies.size());
        for (int i = 0; i < replies.size(); i++) {
          assertThat(replies.get(i)).as("reply %d", i).isEqualTo(i + 1L);
        }
        System.out.printf("INCRs: %d ok, %d failed (%d ambiguous); counter=%d%n", replies.size(), failures.size(),
            failures.stream().filter(f -> f instanceof AmbiguousCommandException).count(), counter);
      }
    }
  }
}
