package dev.privateegress.redis.internal;

import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryPolicy;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Supplier;
import redis.clients.jedis.UnifiedJedis;

/**
 * The retry loop of one Redis client, on a resilience4j {@link Retry}: resilience4j counts the calls and
 * attempts, publishes its events and sleeps the backoff; this class makes the decision for each failed
 * attempt from the egress settings, as sdk-http does: the attempt limit ({@code maxAttempts}, or {@code
 * startupGraceMaxAttempts} during the startup grace window), full-jitter backoff from {@link
 * RetryPolicy#backoff}, one deadline per call (a retry whose wait would pass it is not made), and the
 * shared {@link dev.privateegress.RetryBudget} (spent only for a retry that is made). resilience4j's own
 * attempt limit is set so high that it never cuts in first.
 *
 * <p>Metrics: a call that ends without a retry being made counts as "failed without retry", also when a
 * limit stopped it after earlier retries; a call that succeeds counts as "successful with (or without)
 * retry".
 */
public final class RedisRetry {
  /** The name of every Redis client's Retry, e.g. for a resilience4j-micrometer tag. */
  public static final String NAME = "private-egress-redis";

  private final Retry retry;
  private final String target;

  /** A fresh Retry for a client of {@code target} ({@link Endpoint#target()}), or null for a one-off loop; no I/O. */
  public RedisRetry(String target) {
    this.target = target;
    RetryConfig config = RetryConfig.custom()
        .maxAttempts(Integer.MAX_VALUE)
        .retryOnException(t -> t instanceof Wait w && w.delayMillis >= 0)
        .intervalBiFunction((n, either) -> either.isLeft() && either.getLeft() instanceof Wait w ? w.delayMillis : 0L)
        .failAfterMaxAttempts(false)
        .writableStackTraceEnabled(false)
        .build();
    this.retry = Retry.of(NAME, config);
  }

  /** The target of the client whose loop this is ({@link Endpoint#target()}), or null. */
  public String target() {
    return target;
  }

  /** The resilience4j Retry, for metrics and events. */
  public Retry retry() {
    return retry;
  }

  /** Implemented by the SDK's command executors: the retry loop of their client. */
  public interface Owner {
    /** The client's retry loop. */
    RedisRetry redisRetry();
  }

  /**
   * The retry loop of a client built by {@code PrivateRedis}, found through its command executor; empty
   * for any other client. Jedis keeps the executor in a protected field without a getter, so this reads
   * it reflectively (Jedis is on the class path or an automatic module, both of which allow it).
   */
  public static Optional<RedisRetry> of(UnifiedJedis client) {
    try {
      Field f = UnifiedJedis.class.getDeclaredField("executor");
      f.setAccessible(true);
      return f.get(client) instanceof Owner o ? Optional.of(o.redisRetry()) : Optional.empty();
    } catch (ReflectiveOperationException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** How one failed attempt is treated. */
  public sealed interface Verdict permits Fatal, Retryable {}

  /** Not retried: {@code exception} is thrown as it is. */
  public record Fatal(RuntimeException exception) implements Verdict {}

  /**
   * Retried when the limits allow it.
   *
   * @param cause a short description for the listener's retry event
   * @param onStop builds the exception to throw when a limit stops the call, from the reason (e.g.
   *     {@code gave up after 3 attempts})
   * @param untilDeadline retried until the deadline (and budget) stop it, whatever the attempt limit: for
   *     replies that say the server is not ready yet ({@code LOADING}, {@code CLUSTERDOWN}), which last
   *     as long as a restart or rejoin does
   */
  public record Retryable(String cause, Function<String, RuntimeException> onStop, boolean untilDeadline)
      implements Verdict {
    /** Retried within the attempt limit. */
    public Retryable(String cause, Function<String, RuntimeException> onStop) {
      this(cause, onStop, false);
    }
  }

  /** Judges a failed attempt. */
  public interface Judge {
    /** The verdict on the failure of attempt {@code attempt} (1-based). */
    Verdict judge(RuntimeException failure, int attempt);
  }

  /**
   * Runs {@code attempt} until it succeeds, fails fatally, or a limit stops it.
   *
   * @param egress the retry policy, budget, startup grace and listener
   * @param label the target named in listener events, e.g. {@code redis 10.0.0.3:6379}
   * @param beforeRetry runs after each backoff, before the next attempt (e.g. refresh the slot map); may be null
   */
  public <T> T call(PrivateEgress egress, String label, Supplier<T> attempt, Judge judge, Runnable beforeRetry) {
    RetryPolicy policy = egress.retryPolicy();
    long deadline = System.nanoTime() + policy.deadline().toNanos();
    Retry.Context<T> context = retry.context();
    for (int n = 1; ; n++) {
      T result;
      try {
        result = attempt.get();
      } catch (RuntimeException failure) {
        Verdict verdict = judge.judge(failure, n);
        if (verdict instanceof Fatal f) {
          context.onRuntimeError(f.exception()); // counted as failed without retry; rethrows
          throw f.exception();
        }
        Retryable r = (Retryable) verdict;
        String stop = null;
        Duration delay = null;
        int max = egress.inStartupGrace() ? policy.startupGraceMaxAttempts() : policy.maxAttempts();
        if (n >= max && !r.untilDeadline()) {
          stop = "gave up after " + n + " attempts";
        } else {
          delay = policy.backoff(n, ThreadLocalRandom.current());
          if (System.nanoTime() + delay.toNanos() > deadline) {
            stop = "retry deadline " + policy.deadline().toMillis() + " ms reached";
          } else if (!egress.retryBudget(label).tryAcquireRetry()) {
            egress.listener().retryBudgetExhausted(label);
            stop = "retry budget exhausted";
          }
        }
        if (stop != null) {
          RuntimeException e = r.onStop().apply(stop);
          context.onRuntimeError(e);
          throw e;
        }
        egress.listener().retry(label, n, delay, r.cause());
        try {
          context.onError(new Wait(delay.toMillis(), failure)); // sleeps the backoff
        } catch (Exception interrupted) {
          // resilience4j rethrows our Wait when the sleep is interrupted (and keeps the interrupt flag)
          RuntimeException e = r.onStop().apply("interrupted while waiting to retry");
          e.addSuppressed(new InterruptedException());
          throw e;
        }
        if (beforeRetry != null) {
          beforeRetry.run();
        }
        continue;
      }
      context.onComplete();
      return result;
    }
  }

  /** Carries a retry decision (the delay) through resilience4j's exception path. */
  private static final class Wait extends Exception {
    private static final long serialVersionUID = 1L;
    final long delayMillis;

    Wait(long delayMillis, RuntimeException failure) {
      super(failure.toString(), failure, false, false);
      this.delayMillis = delayMillis;
    }
  }
}
