package dev.privateegress.internal;

import dev.privateegress.EgressListener;
import dev.privateegress.RetryBudget;
import dev.privateegress.RetryPolicy;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * The SDK's one retry loop, for HTTP attempts, Redis commands and connection set-up alike. A {@link Step} makes
 * each attempt and judges its outcome; {@link #decide} turns that judgement and what is left of the call (its
 * attempts, its deadline) into a pure decision; the loop then spends the target's {@link
 * dev.privateegress.RetryBudget} (only for a retry that is made), reports the retry to the listener and to the
 * client's resilience4j view ({@link CallRetry}), and waits the backoff or the server's {@code Retry-After}.
 *
 * <p>The loop holds no per-call state of its own: the call's state is the caller's object {@code C}, passed to
 * every step, so a call costs no allocation here. {@link Step#attempt} is the one place per attempt where the
 * attempt is made (and may be observed).
 */
public final class RetryLoop {
  /** How an attempt's outcome may be retried, as its {@link Step} judges it. */
  public enum Kind {
    /** Final: a success, or an error another attempt would meet again. */
    FINAL,
    /** Retryable in kind, but the request may have reached the server and may not be sent twice. */
    NOT_REPLAYABLE,
    /** Retried within the policy's attempts. */
    RETRY,
    /** A failure to connect: retried within the policy's attempts, or its startup-grace attempts. */
    CONNECT,
    /** The server said it is not ready yet ({@code LOADING}): retried until the deadline, whatever the attempts. */
    UNTIL_DEADLINE
  }

  /** What the loop does after an attempt. */
  public enum Verdict {
    RETRY,
    /** The outcome is final. */
    FINAL,
    /** Retryable, but the request may have reached the server and may not be sent twice. */
    NOT_REPLAYABLE,
    /** The attempts allowed for the call are used up. */
    ATTEMPTS,
    /** Waiting for the next attempt would pass the call's deadline. */
    DEADLINE,
    /** The target's retry budget is empty. */
    BUDGET
  }

  /** A verdict and, for {@link Verdict#RETRY}, the wait in nanoseconds. */
  public record Decision(Verdict verdict, long delayNanos) {
    public static final Decision FINAL = new Decision(Verdict.FINAL, 0);
    public static final Decision NOT_REPLAYABLE = new Decision(Verdict.NOT_REPLAYABLE, 0);
    public static final Decision ATTEMPTS = new Decision(Verdict.ATTEMPTS, 0);
    public static final Decision DEADLINE = new Decision(Verdict.DEADLINE, 0);
    public static final Decision BUDGET = new Decision(Verdict.BUDGET, 0);

    public boolean retry() {
      return verdict == Verdict.RETRY;
    }

    /** Why the call stopped, for messages: {@code gave up after 3 attempts}, {@code retry budget exhausted}. */
    public String reason(int attempts, Duration deadline) {
      return switch (verdict) {
        case ATTEMPTS -> "gave up after " + attempts + (attempts == 1 ? " attempt" : " attempts");
        case DEADLINE -> "retry deadline " + deadline.toMillis() + " ms reached";
        case BUDGET -> "retry budget exhausted";
        case NOT_REPLAYABLE -> "not replayable";
        default -> verdict.name().toLowerCase(java.util.Locale.ROOT);
      };
    }
  }

  /**
   * One kind of call on the loop. Implementations are shared by all calls of a client; the call's state is
   * {@code C}.
   *
   * @param <C> the call's state
   * @param <T> an attempt's result
   * @param <X> an attempt's failure
   */
  public interface Step<C, T, X extends Exception> {
    /** Makes attempt number {@code n} (1 for the first) of {@code call}. */
    T attempt(C call, int n) throws X;

    /** Whether an unchecked exception of {@link #attempt} is an outcome to judge ({@code X} is unchecked). */
    boolean catchesUnchecked();

    /** How the attempt's outcome ({@code result}, or {@code failure} when it is not null) may be retried. */
    Kind judge(C call, T result, X failure, int n);

    /** The wait the server asked for after {@code result}, in nanoseconds, or -1 for none. */
    default long retryAfterNanos(C call, T result) {
      return -1;
    }

    /** The target whose budget a retry spends and whose name events carry. */
    String target(C call);

    /** A short cause for the retry event. */
    String cause(C call, T result, X failure);

    /**
     * A retry of {@code result} or {@code failure} was decided: release the result (close a response), keep
     * the failure for the final exception, and wait {@code delayNanos} with {@link #sleep} or a wait of its own
     * that a cancel cuts short.
     */
    default void beforeRetry(C call, T result, X failure, long delayNanos) throws X {
      if (!sleep(delayNanos)) {
        throw failure != null ? failure : interrupted(call, result);
      }
    }

    /** The exception for a wait before a retry that was interrupted ({@link #sleep} kept the interrupt). */
    default X interrupted(C call, T result) {
      throw new IllegalStateException("interrupted while waiting to retry");
    }

    /**
     * The call ends with {@code result} or {@code failure}: return the result or throw. {@code d} is the decision
     * that ended it (a final outcome, or the limit that stopped a retryable one).
     */
    T finish(C call, T result, X failure, Decision d, int attempts) throws X;
  }

  private final RetryPolicy policy;
  private final Function<String, RetryBudget> budgets;
  private final BooleanSupplier startupGrace;
  private final EgressListener listener;
  private final CallRetry view;

  /**
   * @param policy attempts, backoff and deadline
   * @param budgets the retry budget of a target
   * @param startupGrace whether {@link Kind#CONNECT} failures get the policy's startup-grace attempts now
   * @param listener told of every retry and exhausted budget
   * @param view the client's resilience4j view, told of every retry; null for none
   */
  public RetryLoop(RetryPolicy policy, Function<String, RetryBudget> budgets, BooleanSupplier startupGrace,
      EgressListener listener, CallRetry view) {
    this.policy = policy;
    this.budgets = budgets;
    this.startupGrace = startupGrace;
    this.listener = listener;
    this.view = view;
  }


  /** The client's resilience4j view. */
  public CallRetry view() {
    return view;
  }

  /** The policy the loop applies. */
  public RetryPolicy policy() {
    return policy;
  }

  /** Runs {@code call} from its first attempt, with the policy's deadline from now. */
  public <C, T, X extends Exception> T run(Step<C, T, X> step, C call) throws X {
    return run(step, call, System.nanoTime() + policy.deadline().toNanos(), null);
  }

  /**
   * Runs {@code call} until {@code deadlineNanos} ({@link System#nanoTime()} based). Attempt 1 is made by the
   * loop unless {@code first} is not null: then attempt 1 already failed with it, outside the loop (the success
   * path of a Redis command never enters the loop).
   */
  public <C, T, X extends Exception> T run(Step<C, T, X> step, C call, long deadlineNanos, X first) throws X {
    T result = null;
    X failure = first;
    for (int n = 1; ; n++) {
      if (n > 1 || first == null) {
        result = null;
        failure = null;
        try {
          result = step.attempt(call, n);
        } catch (RuntimeException e) {
          if (!step.catchesUnchecked()) {
            throw e; // a bug or a contract breach beneath an IOException step: not an outcome to judge
          }
          failure = uncheckedAsX(e);
        } catch (Exception e) {
          failure = uncheckedAsX(e); // attempt() declares only X
        }
      }
      Kind kind = step.judge(call, result, failure, n);
      Decision d = kind == Kind.FINAL ? Decision.FINAL : decide(call, step, kind, result, n, deadlineNanos);
      if (!d.retry()) {
        return step.finish(call, result, failure, d, n);
      }
      String target = step.target(call);
      if (!budgets.apply(target).tryAcquireRetry()) {
        listener.retryBudgetExhausted(target);
        return step.finish(call, result, failure, Decision.BUDGET, n);
      }
      String cause = step.cause(call, result, failure);
      listener.retry(target, n, Duration.ofNanos(d.delayNanos()), cause);
      if (view != null) {
        view.retrying(n, cause, TimeUnit.NANOSECONDS.toMillis(d.delayNanos()));
      }
      step.beforeRetry(call, result, failure, d.delayNanos());
    }
  }

  @SuppressWarnings("unchecked")
  private static <X extends Exception> X uncheckedAsX(Exception e) {
    return (X) e;
  }

  private <C, T, X extends Exception> Decision decide(C call, Step<C, T, X> step, Kind kind, T result, int n,
      long deadline) {
    int max = kind == Kind.UNTIL_DEADLINE ? Integer.MAX_VALUE
        : kind == Kind.CONNECT && startupGrace.getAsBoolean() ? policy.startupGraceMaxAttempts() : policy.maxAttempts();
    long retryAfter = result == null ? -1 : step.retryAfterNanos(call, result);
    long backoff = n >= max ? 0 : policy.backoff(n, ThreadLocalRandom.current()).toNanos();
    return decide(kind, n, max, retryAfter, backoff, deadline - System.nanoTime());
  }

  /**
   * Decides one attempt; a pure function of the judgement and what is left of the call.
   *
   * @param kind how the outcome may be retried
   * @param attempt this attempt's number, 1 for the first
   * @param maxAttempts attempts allowed for this kind of outcome
   * @param retryAfterNanos the wait the server asked for, or -1 for none
   * @param backoffNanos the jittered backoff for this retry, used when the server asked for nothing
   * @param remainingNanos time left before the call's deadline
   */
  public static Decision decide(Kind kind, int attempt, int maxAttempts, long retryAfterNanos, long backoffNanos,
      long remainingNanos) {
    switch (kind) {
      case FINAL -> {
        return Decision.FINAL;
      }
      case NOT_REPLAYABLE -> {
        return Decision.NOT_REPLAYABLE;
      }
      default -> { } // retryable: the limits decide
    }
    if (attempt >= maxAttempts) {
      return Decision.ATTEMPTS;
    }
    long delay = retryAfterNanos >= 0 ? retryAfterNanos : backoffNanos;
    if (delay >= remainingNanos) {
      return Decision.DEADLINE;
    }
    return new Decision(Verdict.RETRY, delay);
  }

  /** Sleeps {@code nanos}; false (with the thread's interrupt flag kept) when interrupted. */
  public static boolean sleep(long nanos) {
    if (nanos <= 0) {
      return true;
    }
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
