package dev.privateegress.spring.internal;

import dev.privateegress.EgressListener;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * Hands every event to each listener in order. A listener that throws does not keep the event from the
 * others; the first exception is rethrown afterwards so the SDK's own guard logs it.
 */
public final class CompositeEgressListener implements EgressListener {
  private final List<EgressListener> listeners;

  private CompositeEgressListener(List<EgressListener> listeners) {
    this.listeners = listeners;
  }

  /** One listener for all of {@code listeners}; the listener itself when there is only one. */
  public static EgressListener of(List<EgressListener> listeners) {
    if (listeners.isEmpty()) {
      return EgressListener.NONE;
    }
    return listeners.size() == 1 ? listeners.get(0) : new CompositeEgressListener(List.copyOf(listeners));
  }

  private void each(Consumer<EgressListener> event) {
    RuntimeException first = null;
    for (EgressListener l : listeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  @Override
  public void tokenFetched(String kind, String audience, Duration took, Throwable failure) {
    each(l -> l.tokenFetched(kind, audience, took, failure));
  }

  @Override
  public void retry(String target, int attempt, Duration delay, String cause) {
    each(l -> l.retry(target, attempt, delay, cause));
  }

  @Override
  public void retryBudgetExhausted(String target) {
    each(l -> l.retryBudgetExhausted(target));
  }

  @Override
  public void connectFailed(String host, InetSocketAddress address, Throwable cause) {
    each(l -> l.connectFailed(host, address, cause));
  }

  @Override
  public void redisAuthFailed(String target, String reason) {
    each(l -> l.redisAuthFailed(target, reason));
  }

  @Override
  public void attempt(String target, int attempt, String outcome, Duration took) {
    each(l -> l.attempt(target, attempt, outcome, took));
  }

  @Override
  public void callEnded(String target, int attempts, boolean succeeded) {
    each(l -> l.callEnded(target, attempts, succeeded));
  }

  @Override
  public void redisAmbiguous(String target, String command) {
    each(l -> l.redisAmbiguous(target, command));
  }

  @Override
  public String toString() {
    return "CompositeEgressListener" + listeners;
  }
}
