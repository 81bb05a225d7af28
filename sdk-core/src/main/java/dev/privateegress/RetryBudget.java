package dev.privateegress;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A token bucket that caps the retries sent to one target ({@link PrivateEgress#retryBudget(String)}), so a
 * failing dependency sees little extra load: each retry spends one token, each success puts back a
 * fraction of one, and when the bucket is empty retries stop while first attempts still go through.
 *
 * <p>With the defaults (100 tokens, 0.1 back per success) a full outage costs at most 100 retries
 * before the budget closes, and steady traffic may retry about one call in ten. Thread-safe, lock-free.
 */
public final class RetryBudget {
  private static final long SCALE = 1000;

  private final long capacity;
  private final long refill;
  private final AtomicLong tokens;

  /**
   * @param capacity maximum (and initial) number of retries that can be spent in a burst
   * @param refillPerSuccess tokens returned by each successful call, e.g. 0.1
   */
  public RetryBudget(int capacity, double refillPerSuccess) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity must be >= 0, was " + capacity);
    }
    if (!(refillPerSuccess >= 0) || refillPerSuccess > capacity) {
      throw new IllegalArgumentException("refillPerSuccess must be in [0, capacity], was " + refillPerSuccess);
    }
    this.capacity = capacity * SCALE;
    this.refill = Math.round(refillPerSuccess * SCALE);
    this.tokens = new AtomicLong(this.capacity);
  }

  /** 100 tokens, 0.1 refilled per success. */
  public static RetryBudget defaults() {
    return new RetryBudget(100, 0.1);
  }

  /** A budget that never refuses (for callers that want only the per-call limits). */
  public static RetryBudget unlimited() {
    return new RetryBudget(Integer.MAX_VALUE / 2, 0);
  }

  /** Spends one token for a retry; false (and nothing spent) when the budget is exhausted. */
  public boolean tryAcquireRetry() {
    while (true) {
      long t = tokens.get();
      if (t < SCALE) {
        return false;
      }
      if (tokens.compareAndSet(t, t - SCALE)) {
        return true;
      }
    }
  }

  /** Records a successful call; refills the bucket a little. */
  public void recordSuccess() {
    if (refill == 0) {
      return;
    }
    while (true) {
      long t = tokens.get();
      long n = Math.min(capacity, t + refill);
      if (n == t || tokens.compareAndSet(t, n)) {
        return;
      }
    }
  }

  /** Tokens left (retries that could be spent now). */
  public double available() {
    return tokens.get() / (double) SCALE;
  }

  @Override
  public String toString() {
    return "RetryBudget{available=" + available() + ", capacity=" + capacity / SCALE + "}";
  }
}
