package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class RetryMathTest {

  /** A generator that always returns its bound minus one: the top of the jitter range. */
  private static final RandomGenerator MAX = new RandomGenerator() {
    @Override
    public long nextLong() {
      return Long.MAX_VALUE;
    }

    @Override
    public long nextLong(long bound) {
      return bound - 1;
    }
  };

  @Test
  void backoffCeilingDoublesUpToTheCap() {
    RetryPolicy p = RetryPolicy.defaults().withBackoff(Duration.ofMillis(100), Duration.ofMillis(1000));
    assertThat(p.backoff(1, MAX)).isEqualTo(Duration.ofMillis(100));
    assertThat(p.backoff(2, MAX)).isEqualTo(Duration.ofMillis(200));
    assertThat(p.backoff(3, MAX)).isEqualTo(Duration.ofMillis(400));
    assertThat(p.backoff(4, MAX)).isEqualTo(Duration.ofMillis(800));
    assertThat(p.backoff(5, MAX)).isEqualTo(Duration.ofMillis(1000));
    assertThat(p.backoff(500, MAX)).isEqualTo(Duration.ofMillis(1000));
  }

  @Test
  void fullJitter_staysWithinZeroAndCeiling_andSpreads() {
    RetryPolicy p = RetryPolicy.defaults().withBackoff(Duration.ofMillis(100), Duration.ofSeconds(5));
    SplittableRandom r = new SplittableRandom(42);
    long below50 = 0;
    for (int i = 0; i < 10_000; i++) {
      Duration d = p.backoff(1, r);
      assertThat(d).isBetween(Duration.ZERO, Duration.ofMillis(100));
      if (d.toMillis() < 50) {
        below50++;
      }
    }
    assertThat(below50).isBetween(4_000L, 6_000L);
  }

  @Test
  void policyRejectsNonsense() {
    assertThatThrownBy(() -> RetryPolicy.defaults().withMaxAttempts(0)).hasMessageContaining("maxAttempts");
    assertThatThrownBy(() -> RetryPolicy.defaults().withBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .hasMessageContaining("initialBackoff <= maxBackoff");
    assertThatThrownBy(() -> RetryPolicy.defaults().withDeadline(Duration.ZERO)).hasMessageContaining("deadline");
  }

  @Test
  void budget_spendsOnRetries_refillsOnSuccess_andNeverGoesNegative() {
    RetryBudget b = new RetryBudget(10, 0.5);
    int granted = 0;
    for (int i = 0; i < 100; i++) {
      if (b.tryAcquireRetry()) {
        granted++;
      }
    }
    assertThat(granted).isEqualTo(10);
    assertThat(b.tryAcquireRetry()).isFalse();
    b.recordSuccess();
    assertThat(b.tryAcquireRetry()).as("half a token is not enough").isFalse();
    b.recordSuccess();
    assertThat(b.tryAcquireRetry()).isTrue();
    for (int i = 0; i < 1000; i++) {
      b.recordSuccess();
    }
    assertThat(b.available()).isEqualTo(10.0);
  }

  @Test
  void budget_isExactUnderContention() throws InterruptedException {
    RetryBudget b = new RetryBudget(500, 0);
    AtomicInteger granted = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    for (int t = 0; t < 8; t++) {
      pool.execute(() -> {
        for (int i = 0; i < 1000; i++) {
          if (b.tryAcquireRetry()) {
            granted.incrementAndGet();
          }
        }
      });
    }
    pool.shutdown();
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    assertThat(granted.get()).isEqualTo(500);
  }
}
