package dev.privateegress.http.internal;

import io.github.resilience4j.core.EventConsumer;
import io.github.resilience4j.core.EventProcessor;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.event.RetryEvent;
import io.github.resilience4j.retry.event.RetryOnErrorEvent;
import io.github.resilience4j.retry.event.RetryOnIgnoredErrorEvent;
import io.github.resilience4j.retry.event.RetryOnRetryEvent;
import io.github.resilience4j.retry.event.RetryOnSuccessEvent;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The resilience4j {@link Retry} of one SDK client. The SDK decides its retries itself (one deadline, per-target
 * budget, Retry-After, methods that may be replayed), limits resilience4j's own counting cannot express, so this
 * Retry records each logical call's true outcome: succeeded or failed, with or without a retry, whatever limit
 * stopped it. Metrics and events are what resilience4j-micrometer and event consumers expect.
 *
 * <p>{@link #context()} and {@link #asyncContext()} decorate other code as a standard resilience4j Retry with
 * the same configuration would; those calls are counted in the same metrics and published to the same
 * consumers.
 */
final class HttpRetry implements Retry {
  private final String name;
  private final Retry standard;
  private final Events events = new Events();
  private final LongAdder succeededWithout = new LongAdder();
  private final LongAdder succeededWith = new LongAdder();
  private final LongAdder failedWithout = new LongAdder();
  private final LongAdder failedWith = new LongAdder();
  private final LongAdder attempts = new LongAdder();
  private final Metrics metrics = new CallMetrics();

  HttpRetry(String name, RetryConfig config) {
    this.name = name;
    this.standard = Retry.of(name, config);
    standard.getEventPublisher().onEvent(events::consumeEvent);
  }

  /** One attempt was made (counted in {@link Metrics#getNumberOfTotalCalls()}, as resilience4j does). */
  void attempted() {
    attempts.increment();
  }

  /** A retry is about to wait {@code waitMillis}; {@code attempt} is the number of the attempt that failed. */
  void retrying(int attempt, String cause, long waitMillis) {
    if (events.hasConsumers()) {
      events.consumeEvent(new RetryOnRetryEvent(name, attempt, new HttpOutcome(cause), waitMillis));
    }
  }

  /** A logical call ended after {@code retries} retries. */
  void ended(int retries, boolean succeeded, String lastOutcome) {
    boolean retried = retries > 0;
    if (succeeded) {
      (retried ? succeededWith : succeededWithout).increment();
      if (retried && events.hasConsumers()) {
        events.consumeEvent(new RetryOnSuccessEvent(name, retries, new HttpOutcome(lastOutcome)));
      }
    } else {
      (retried ? failedWith : failedWithout).increment();
      if (events.hasConsumers()) {
        events.consumeEvent(retried
            ? new RetryOnErrorEvent(name, retries, new HttpOutcome(lastOutcome))
            : new RetryOnIgnoredErrorEvent(name, new HttpOutcome(lastOutcome)));
      }
    }
  }

  @Override
  public String getName() {
    return name;
  }

  @Override
  public <T> Context<T> context() {
    return standard.context();
  }

  @Override
  public <T> AsyncContext<T> asyncContext() {
    return standard.asyncContext();
  }

  @Override
  public RetryConfig getRetryConfig() {
    return standard.getRetryConfig();
  }

  @Override
  public Map<String, String> getTags() {
    return standard.getTags();
  }

  @Override
  public EventPublisher getEventPublisher() {
    return events;
  }

  @Override
  public Metrics getMetrics() {
    return metrics;
  }

  @Override
  public String toString() {
    return "HttpRetry{name=" + name + "}";
  }

  private final class CallMetrics implements Metrics {
    @Override
    public long getNumberOfSuccessfulCallsWithoutRetryAttempt() {
      return succeededWithout.sum() + standard.getMetrics().getNumberOfSuccessfulCallsWithoutRetryAttempt();
    }

    @Override
    public long getNumberOfFailedCallsWithoutRetryAttempt() {
      return failedWithout.sum() + standard.getMetrics().getNumberOfFailedCallsWithoutRetryAttempt();
    }

    @Override
    public long getNumberOfSuccessfulCallsWithRetryAttempt() {
      return succeededWith.sum() + standard.getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt();
    }

    @Override
    public long getNumberOfFailedCallsWithRetryAttempt() {
      return failedWith.sum() + standard.getMetrics().getNumberOfFailedCallsWithRetryAttempt();
    }

    @Override
    public long getNumberOfTotalCalls() {
      return attempts.sum() + standard.getMetrics().getNumberOfTotalCalls();
    }
  }

  /** The outcome of an HTTP attempt as the throwable resilience4j's events carry; no stack trace, no secrets. */
  static final class HttpOutcome extends Exception {
    private static final long serialVersionUID = 1L;

    HttpOutcome(String outcome) {
      super(outcome, null, false, false);
    }
  }

  private static final class Events extends EventProcessor<RetryEvent>
      implements EventConsumer<RetryEvent>, EventPublisher {
    @Override
    public void consumeEvent(RetryEvent event) {
      processEvent(event);
    }

    @Override
    public EventPublisher onRetry(EventConsumer<RetryOnRetryEvent> consumer) {
      registerConsumer(RetryOnRetryEvent.class.getName(), consumer);
      return this;
    }

    @Override
    public EventPublisher onSuccess(EventConsumer<RetryOnSuccessEvent> consumer) {
      registerConsumer(RetryOnSuccessEvent.class.getName(), consumer);
      return this;
    }

    @Override
    public EventPublisher onError(EventConsumer<RetryOnErrorEvent> consumer) {
      registerConsumer(RetryOnErrorEvent.class.getName(), consumer);
      return this;
    }

    @Override
    public EventPublisher onIgnoredError(EventConsumer<RetryOnIgnoredErrorEvent> consumer) {
      registerConsumer(RetryOnIgnoredErrorEvent.class.getName(), consumer);
      return this;
    }
  }
}
