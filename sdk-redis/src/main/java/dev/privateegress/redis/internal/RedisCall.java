package dev.privateegress.redis.internal;

import dev.privateegress.internal.CallRetry;
import dev.privateegress.internal.RetryLoop;
import java.util.function.Function;

/**
 * One Redis call on the SDK's {@link RetryLoop}: a command's connection set-up, a command the server was not
 * ready for, or a {@code PrivateRedis.retrying} operation. A subclass makes one try ({@link #once}) and judges a
 * failure ({@link #judge}); the loop decides the rest (attempts, startup grace, deadline, budget) and waits.
 *
 * <p>The call is one logical call of the client's resilience4j view ({@link CallRetry#open}): a call made inside
 * another on the same thread (a connect inside a command inside {@code retrying}) is part of the outer one, so a
 * call that retried and gave up counts once, as one failed call with retry.
 *
 * @param <T> the result
 */
abstract class RedisCall<T> implements RetryLoop.Step<RedisCall<T>, T, RuntimeException> {
  /** How one failed try is treated. */
  sealed interface Verdict permits Fatal, Retryable {}

  /** Not retried: {@code exception} is thrown as it is. */
  record Fatal(RuntimeException exception) implements Verdict {}

  /**
   * Retried when the limits allow it.
   *
   * @param cause a short description for the listener's retry event
   * @param onStop builds the exception to throw when a limit stops the call, from the reason (e.g. {@code gave up
   *     after 3 attempts})
   * @param untilDeadline retried until the deadline (and budget) stop it, whatever the attempt limit: for replies
   *     that say the server is not ready yet ({@code LOADING}, {@code CLUSTERDOWN}), which last as long as a
   *     restart or rejoin does
   */
  record Retryable(String cause, Function<String, RuntimeException> onStop, boolean untilDeadline)
      implements Verdict {
    Retryable(String cause, Function<String, RuntimeException> onStop) {
      this(cause, onStop, false);
    }
  }

  private final RetryLoop loop;
  private final String target;
  private Verdict last;

  /**
   * @param loop the client's loop
   * @param target the target whose budget a retry spends and whose name events carry ({@link Endpoint#target()})
   */
  RedisCall(RetryLoop loop, String target) {
    this.loop = loop;
    this.target = target;
  }

  /** One try. */
  abstract T once();

  /** The verdict on the failure of try {@code attempt} (1-based). */
  abstract Verdict judge(RuntimeException failure, int attempt);

  /** Runs after each backoff, before the next try (e.g. refresh the slot map). */
  void beforeNextTry() {}

  /** Runs the call; {@code first} is the failure of a first try the caller made itself, or null. */
  final T run(RuntimeException first) {
    CallRetry view = loop.view();
    CallRetry.Open open = view.open();
    if (first != null) {
      view.attempted(); // the caller's own first try
    }
    boolean succeeded = false;
    String outcome = "ok";
    try {
      T result = loop.run(this, this, System.nanoTime() + loop.policy().deadline().toNanos(), first);
      succeeded = true;
      return result;
    } catch (RuntimeException e) {
      outcome = Failures.shortCause(e);
      throw e;
    } finally {
      view.close(open, succeeded, outcome);
    }
  }

  @Override
  public final T attempt(RedisCall<T> call, int n) {
    loop.view().attempted();
    return once();
  }

  @Override
  public final boolean catchesUnchecked() {
    return true;
  }

  @Override
  public final RetryLoop.Kind judge(RedisCall<T> call, T result, RuntimeException failure, int n) {
    if (failure == null) {
      return RetryLoop.Kind.FINAL;
    }
    last = judge(failure, n);
    if (last instanceof Retryable r) {
      // connect-like: the startup grace's attempts apply, as they always have for Redis
      return r.untilDeadline() ? RetryLoop.Kind.UNTIL_DEADLINE : RetryLoop.Kind.CONNECT;
    }
    return RetryLoop.Kind.FINAL;
  }

  @Override
  public final String target(RedisCall<T> call) {
    return target;
  }

  @Override
  public final String cause(RedisCall<T> call, T result, RuntimeException failure) {
    return ((Retryable) last).cause();
  }

  @Override
  public final void beforeRetry(RedisCall<T> call, T result, RuntimeException failure, long delayNanos) {
    if (!RetryLoop.sleep(delayNanos)) {
      RuntimeException e = ((Retryable) last).onStop().apply("interrupted while waiting to retry");
      e.addSuppressed(new InterruptedException());
      throw e;
    }
    beforeNextTry();
  }

  @Override
  public final T finish(RedisCall<T> call, T result, RuntimeException failure, RetryLoop.Decision d, int attempts) {
    if (failure == null) {
      return result;
    }
    if (last instanceof Fatal f) {
      throw f.exception();
    }
    throw ((Retryable) last).onStop().apply(d.reason(attempts, loop.policy().deadline()));
  }
}
