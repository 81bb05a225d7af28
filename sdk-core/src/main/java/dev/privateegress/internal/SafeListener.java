package dev.privateegress.internal;

import dev.privateegress.EgressListener;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps the user's {@link EgressListener} so that a listener that throws can never break an SDK call:
 * metrics code is not allowed to turn a successful request into a failed one. Failures are logged at
 * WARN once per event kind, then at DEBUG.
 */
public final class SafeListener implements EgressListener {
  /** Initialised on first log call: slf4j start-up must stay off the fromEnvironment() path. */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(SafeListener.class);
  }

  private final EgressListener delegate;
  private volatile boolean warned;

  private SafeListener(EgressListener delegate) {
    this.delegate = delegate;
  }

  /** {@code listener} itself when it is already safe or the no-op, else a guarding wrapper. */
  public static EgressListener wrap(EgressListener listener) {
    return listener == EgressListener.NONE || listener instanceof SafeListener ? listener : new SafeListener(listener);
  }

  @Override
  public void tokenFetched(String kind, String audience, Duration took, Throwable failure) {
    try {
      delegate.tokenFetched(kind, audience, took, failure);
    } catch (RuntimeException e) {
      failed("tokenFetched", e);
    }
  }

  @Override
  public void retry(String target, int attempt, Duration delay, String cause) {
    try {
      delegate.retry(target, attempt, delay, cause);
    } catch (RuntimeException e) {
      failed("retry", e);
    }
  }

  @Override
  public void retryBudgetExhausted(String target) {
    try {
      delegate.retryBudgetExhausted(target);
    } catch (RuntimeException e) {
      failed("retryBudgetExhausted", e);
    }
  }

  @Override
  public void connectFailed(String host, InetSocketAddress address, Throwable cause) {
    try {
      delegate.connectFailed(host, address, cause);
    } catch (RuntimeException e) {
      failed("connectFailed", e);
    }
  }

  @Override
  public void redisAuthFailed(String target, String reason) {
    try {
      delegate.redisAuthFailed(target, reason);
    } catch (RuntimeException e) {
      failed("redisAuthFailed", e);
    }
  }

  @Override
  public void attempt(String target, int attempt, String outcome, Duration took) {
    try {
      delegate.attempt(target, attempt, outcome, took);
    } catch (RuntimeException e) {
      failed("attempt", e);
    }
  }

  @Override
  public void callEnded(String target, int attempts, boolean succeeded) {
    try {
      delegate.callEnded(target, attempts, succeeded);
    } catch (RuntimeException e) {
      failed("callEnded", e);
    }
  }

  @Override
  public void redisAmbiguous(String target, String command) {
    try {
      delegate.redisAmbiguous(target, command);
    } catch (RuntimeException e) {
      failed("redisAmbiguous", e);
    }
  }

  private void failed(String event, RuntimeException e) {
    if (!warned) {
      warned = true;
      Log.LOG.warn("EgressListener {} threw {}; the SDK ignores listener failures (further ones logged at DEBUG)",
          event, e.toString());
    } else {
      Log.LOG.debug("EgressListener {} threw {}", event, e.toString());
    }
  }

  @Override
  public String toString() {
    return "SafeListener{" + delegate + "}";
  }
}
