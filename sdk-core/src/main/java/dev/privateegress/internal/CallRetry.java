package dev.privateegress.internal;

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
 * The resilience4j {@link Retry} of one SDK client (HTTP or Redis): the user-facing metrics and events of the
 * SDK's {@link RetryLoop}. The loop decides the retries (one deadline, per-target budget, Retry-After, what may be
 * replayed), limits resilience4j's own counting cannot express, so this Retry records each logical call's true
 * outcome: succeeded or failed, with or without a retry, whatever limit stopped it. A call that retried and gave
 * up is one failed call with retry, in every module. Metrics and events are what resilience4j-micrometer and event
 * consumers expect.
 *
 * <p>{@link #context()} and {@link #asyncContext()} decorate other code as a standard resilience4j Retry with
 * the same configuration would; those calls are counted in the same metrics and published to the same
 * consumers.
 */
public final class CallRetry implements Retry {
  private final String name;
  private final Retry standard;
  private final Events events = new Events();
  private final LongAdder succeededWithout = new LongAdder();
  private final LongAdder succeededWith = new LongAdder();
  private final LongAdder failedWithout = new LongAdder();
  private final LongAdder failedWith = new LongAdder();
  private final LongAdder attempts = new LongAdder();
  private final Metrics metrics = new CallMetrics();

  /** The calls open on each thread (see {@link #open}); a call made inside another is part of it. */
  private final ThreadLocal<Open> open = new ThreadLocal<>();

  /**
   * @param name the Retry's name, e.g. for a resilience4j-micrometer tag
   * @param config the limits resilience4j users expect to read, and what {@link #context()} applies
   */
  public CallRetry(String name, RetryConfig config) {
    this.name = name;
    this.standard = Retry.of(name, config);
    standard.getEventPublisher().onEvent(events::consumeEvent);
  }

  /** One attempt was made (counted in {@link Metrics#getNumberOfTotalCalls()}, as resilience4j does). */
  public void attempted() {
    attempts.increment();
  }

  /** A retry is about to wait {@code waitMillis}; {@code attempt} is the number of the attempt that failed. */
  public void retrying(int attempt, String cause, long waitMillis) {
    Open call = open.get();
    if (call != null) {
      call.retries++;
    }
    if (events.hasConsumers()) {
      events.consumeEvent(new RetryOnRetryEvent(name, attempt, new Outcome(cause), waitMillis));
    }
  }

  /** A logical call whose retries the caller counted ended after {@code retries} retries. */
  public void ended(int retries, boolean succeeded, String lastOutcome) {
    boolean retried = retries > 0;
    if (succeeded) {
      (retried ? succeededWith : succeededWithout).increment();
      if (retried && events.hasConsumers()) {
        events.consumeEvent(new RetryOnSuccessEvent(name, retries, new Outcome(lastOutcome)));
      }
    } else {
      (retried ? failedWith : failedWithout).increment();
      if (events.hasConsumers()) {
        events.consumeEvent(retried
            ? new RetryOnErrorEvent(name, retries, new Outcome(lastOutcome))
            : new RetryOnIgnoredErrorEvent(name, new Outcome(lastOutcome)));
      }
    }
  }

  /**
   * Opens a logical call on this thread whose retries {@link #retrying} counts; null when a call of this Retry
   * is open on the thread already: a call made inside another (a command inside {@code PrivateRedis.retrying},
   * a connect inside a command) is part of it and is not counted on its own.
   */
  public Open open() {
    if (open.get() != null) {
      return null;
    }
    Open call = new Open();
    open.set(call);
    return call;
  }

  /** Ends {@code call} from {@link #open} (a no-op for null, an inner call). */
  public void close(Open call, boolean succeeded, String lastOutcome) {
    if (call != null) {
      open.remove();
      ended(call.retries, succeeded, lastOutcome);
    }
  }

  /** A call opened by {@link #open}. */
  public static final class Open {
    private int retries;

    private Open() {}
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
    return "CallRetry{name=" + name + "}";
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

  /** The outcome of an attempt as the throwable resilience4j's events carry; no stack trace, no secrets. */
  static final class Outcome extends Exception {
    private static final long serialVersionUID = 1L;

    Outcome(String outcome) {
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
