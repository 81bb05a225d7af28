package dev.privateegress;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How retries are paced: exponential backoff with full jitter, a cap on attempts, and one deadline
 * per logical call that bounds every attempt and every wait (including {@code Retry-After}).
 *
 * <p>During the startup grace window connect failures may use {@link #startupGraceMaxAttempts()}
 * attempts instead of {@link #maxAttempts()}, still bounded by the deadline.
 */
public record RetryPolicy(
    int maxAttempts,
    Duration initialBackoff,
    Duration maxBackoff,
    Duration deadline,
    int startupGraceMaxAttempts) {

  /** 3 attempts, 100 ms initial backoff, 5 s max backoff, 30 s deadline, 12 attempts in startup grace. */
  public static RetryPolicy defaults() {
    return new RetryPolicy(3, Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ofSeconds(30), 12);
  }

  public RetryPolicy {
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    Objects.requireNonNull(deadline, "deadline");
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1, was " + maxAttempts);
    }
    if (startupGraceMaxAttempts < maxAttempts) {
      throw new IllegalArgumentException("startupGraceMaxAttempts (" + startupGraceMaxAttempts
          + ") must be >= maxAttempts (" + maxAttempts + ")");
    }
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("need 0 <= initialBackoff <= maxBackoff, was "
          + initialBackoff + " and " + maxBackoff);
    }
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("deadline must be positive, was " + deadline);
    }
  }

  /** A copy with at most {@code n} attempts per call, the first included (grace attempts raised to at least {@code n}). */
  public RetryPolicy withMaxAttempts(int n) {
    return new RetryPolicy(n, initialBackoff, maxBackoff, deadline, Math.max(n, startupGraceMaxAttempts));
  }

  /** A copy whose backoff starts at {@code initial} and doubles up to {@code max} (full jitter). */
  public RetryPolicy withBackoff(Duration initial, Duration max) {
    return new RetryPolicy(maxAttempts, initial, max, deadline, startupGraceMaxAttempts);
  }

  /** A copy whose calls, every attempt and wait included, must end within {@code d}. */
  public RetryPolicy withDeadline(Duration d) {
    return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, d, startupGraceMaxAttempts);
  }

  /** A copy allowing {@code n} attempts while the instance is in its startup grace period. */
  public RetryPolicy withStartupGraceMaxAttempts(int n) {
    return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, deadline, n);
  }

  /**
   * The wait before retry number {@code retry} (1 = the wait after the first failed attempt): a
   * uniformly random duration in {@code [0, min(maxBackoff, initialBackoff * 2^(retry-1))]} ("full
   * jitter"), so that many clients failing together do not retry together.
   */
  public Duration backoff(int retry, RandomGenerator random) {
    if (retry < 1) {
      throw new IllegalArgumentException("retry must be >= 1, was " + retry);
    }
    long cap = maxBackoff.toNanos();
    long base = initialBackoff.toNanos();
    long ceiling = retry >= 63 || base << Math.min(62, retry - 1) < 0
        ? cap
        : Math.min(cap, base << (retry - 1));
    if (ceiling <= 0) {
      return Duration.ZERO;
    }
    return Duration.ofNanos(random.nextLong(ceiling + 1));
  }
}
