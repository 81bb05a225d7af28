package dev.privateegress.redis.internal;

import dev.privateegress.internal.NetworkAdvice;
import dev.privateegress.PrivateEgress;
import dev.privateegress.internal.Hosts;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Supplier;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Gets a connection from a pool, retrying only failures that happen before any command is sent
 * (connect refused or timed out, reset during setup) on the client's {@link RedisRetry}: full-jitter
 * backoff, more attempts during the startup grace window, the shared retry budget and one deadline.
 * AUTH and TLS failures are not retried; they are explained. Neither is an exhausted pool: waiting for
 * a free connection timed out, which another connect would not fix.
 */
public final class ConnectRetrier {
  private final PrivateEgress egress;
  private final RedisRetry retry;
  private final int maxTotal;
  private final Duration maxWait;

  /**
   * @param egress the retry policy, budget and listener
   * @param retry the client's retry loop
   * @param maxTotal the pool size (per node), for the pool-exhausted message
   * @param maxWait how long a borrow waits for a free connection, for the pool-exhausted message
   */
  public ConnectRetrier(PrivateEgress egress, RedisRetry retry, int maxTotal, Duration maxWait) {
    this.egress = egress;
    this.retry = retry;
    this.maxTotal = maxTotal;
    this.maxWait = maxWait;
  }

  /** The client's retry loop (shared with {@code PrivateRedis.retrying}). */
  public RedisRetry retry() {
    return retry;
  }

  /** What to do with a failure after the last attempt. */
  public interface Finisher {
    /** The exception to throw for a connect failure of {@code kind}, explained by {@code message}. */
    JedisException finish(Failures.Kind kind, String message, JedisException cause);
  }

  /**
   * Runs {@code get}, retrying connection set-up failures.
   *
   * @param ep where (for messages and events)
   * @param get borrows a connection (or builds something that connects)
   * @param beforeRetry runs before each retry (e.g. refresh the cluster slot map); may be null
   * @param finisher turns the final failure into the exception to throw
   */
  public <T> T acquire(Endpoint ep, Supplier<T> get, Runnable beforeRetry, Finisher finisher) {
    String label = ep.label();
    Runnable refresh = beforeRetry == null ? null : () -> {
      try {
        beforeRetry.run();
      } catch (JedisException ignored) {
        // the next attempt reports the real problem
      }
    };
    return retry.call(egress, label, get, (e, attempt) -> judge(ep, label, e, finisher), refresh);
  }

  private RedisRetry.Verdict judge(Endpoint ep, String label, RuntimeException e, Finisher finisher) {
    if (!(e instanceof JedisException raw)) {
      return new RedisRetry.Fatal(e);
    }
    JedisException failure = Failures.withoutEchoedArguments(raw);
    Failures.Kind kind = Failures.classify(failure);
    if (kind == Failures.Kind.AUTH) {
      return new RedisRetry.Fatal(authFailed(ep, failure));
    }
    if (kind == Failures.Kind.POOL_EXHAUSTED) {
      // Deliberately not a JedisConnectionException: nothing is wrong with the connection, and callers
      // (PrivateRedis.retrying, Jedis' cluster executor) must not treat it as a connect failure.
      return new RedisRetry.Fatal(new JedisException("pool exhausted: all " + maxTotal + " connections to "
          + label + " stayed busy for maxWait " + maxWait.toMillis() + " ms; raise maxTotal on "
          + "PrivateRedis.builder() if the load needs it, or find the code that keeps connections (a "
          + "pipeline, transaction or Connection not closed)", failure));
    }
    if (kind == Failures.Kind.CONNECT || kind == Failures.Kind.CLOSED || kind == Failures.Kind.DNS) {
      egress.listener().connectFailed(ep.host(), address(ep), failure);
    }
    String advice = kind == Failures.Kind.DNS
        ? ep.connectHost() + " does not resolve: " + NetworkAdvice.unresolved(egress.knownEgress(), ep.connectHost())
        : Failures.advice(kind, ep, failure);
    String message = "cannot connect to " + label + " (" + Failures.shortCause(failure) + "): " + advice;
    if (!kind.retryable()) {
      return new RedisRetry.Fatal(finisher.finish(kind, message, failure));
    }
    return new RedisRetry.Retryable(Failures.shortCause(failure),
        why -> finisher.finish(kind, message + " [" + why + "]", failure));
  }

  /**
   * Explains a refused AUTH, or a command refused with NOAUTH (a connection set up without a password
   * sends nothing until the first command), and reports it to the listener.
   */
  public JedisAccessControlException authFailed(Endpoint ep, JedisException failure) {
    String advice = Failures.advice(Failures.Kind.AUTH, ep, failure);
    egress.listener().redisAuthFailed(ep.label(), advice);
    return new JedisAccessControlException("AUTH to " + ep.label() + " failed: " + advice, failure);
  }

  /** Where the connection went: the IP when the endpoint is one (as most Memorystore targets are). */
  private static InetSocketAddress address(Endpoint ep) {
    return Hosts.parseIpLiteral(ep.connectHost()).map(ip -> new InetSocketAddress(ip, ep.port()))
        .orElseGet(() -> InetSocketAddress.createUnresolved(ep.connectHost(), ep.port()));
  }

  /** The standard finisher: a {@link JedisConnectionException} carrying the explanation. */
  public static JedisException asConnectionException(Failures.Kind kind, String message, JedisException cause) {
    return new JedisConnectionException(message, cause);
  }
}
