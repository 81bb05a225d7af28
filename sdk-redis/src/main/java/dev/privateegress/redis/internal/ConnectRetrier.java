package dev.privateegress.redis.internal;

import dev.privateegress.EgressListener;
import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryPolicy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Gets a connection from a pool, retrying only failures that happen before any command is sent
 * (connect refused or timed out, reset during setup) with the egress' retry policy: full-jitter
 * backoff, more attempts during the startup grace window, the shared retry budget and one deadline.
 * AUTH and TLS failures are not retried; they are explained.
 */
public final class ConnectRetrier {
  private final PrivateEgress egress;

  public ConnectRetrier(PrivateEgress egress) {
    this.egress = egress;
  }

  /** What to do with a failure after the last attempt. */
  public interface Finisher {
    JedisException finish(Failures.Kind kind, String message, JedisException cause);
  }

  /**
   * @param ep where (for messages and events)
   * @param get borrows a connection (or builds something that connects)
   * @param beforeRetry runs before each retry (e.g. refresh the cluster slot map); may be null
   * @param finisher turns the final failure into the exception to throw
   */
  public <T> T acquire(Endpoint ep, Supplier<T> get, Runnable beforeRetry, Finisher finisher) {
    RetryPolicy policy = egress.retryPolicy();
    EgressListener listener = egress.listener();
    long start = System.nanoTime();
    long deadline = start + policy.deadline().toNanos();
    for (int attempt = 1; ; attempt++) {
      JedisException failure;
      try {
        return get.get();
      } catch (JedisException e) {
        failure = e;
      }
      Failures.Kind kind = Failures.classify(failure);
      String label = ep.label();
      if (kind == Failures.Kind.AUTH) {
        String advice = Failures.advice(kind, ep, failure);
        listener.redisAuthFailed(label, advice);
        throw new JedisAccessControlException("AUTH to " + label + " failed: " + advice, failure);
      }
      if (kind == Failures.Kind.CONNECT || kind == Failures.Kind.CLOSED) {
        listener.connectFailed(ep.host(), InetSocketAddress.createUnresolved(ep.connectHost(), ep.port()), failure);
      }
      String message = "cannot connect to " + label + " (" + Failures.shortCause(failure) + "): "
          + Failures.advice(kind, ep, failure);
      if (!kind.retryable()) {
        throw finisher.finish(kind, message, failure);
      }
      int max = egress.inStartupGrace() ? policy.startupGraceMaxAttempts() : policy.maxAttempts();
      if (attempt >= max) {
        throw finisher.finish(kind, message + " [gave up after " + attempt + " attempts]", failure);
      }
      Duration delay = policy.backoff(attempt, ThreadLocalRandom.current());
      if (System.nanoTime() + delay.toNanos() > deadline) {
        throw finisher.finish(kind, message + " [retry deadline " + policy.deadline().toMillis() + " ms reached]",
            failure);
      }
      if (!egress.retryBudget().tryAcquireRetry()) {
        listener.retryBudgetExhausted(label);
        throw finisher.finish(kind, message + " [retry budget exhausted]", failure);
      }
      listener.retry(label, attempt, delay, Failures.shortCause(failure));
      sleep(delay);
      if (beforeRetry != null) {
        try {
          beforeRetry.run();
        } catch (JedisException ignored) {
          // the next attempt reports the real problem
        }
      }
    }
  }

  /** The standard finisher: a {@link JedisConnectionException} carrying the explanation. */
  public static JedisException asConnectionException(Failures.Kind kind, String message, JedisException cause) {
    return new JedisConnectionException(message, cause);
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JedisConnectionException("interrupted while waiting to reconnect", e);
    }
  }
}
