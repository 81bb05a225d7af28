package dev.privateegress;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Receives SDK events for metrics and tracing. Every method has an empty default; the SDK's default
 * listener is {@link #NONE}. Methods run on the thread that caused the event and must be quick and
 * must not throw. No event carries token text.
 */
public interface EgressListener {

  /** A listener that ignores everything. */
  EgressListener NONE = new EgressListener() {};

  /**
   * A token was fetched from its source (not served from cache).
   *
   * @param kind {@code id} or {@code access}
   * @param audience the audience for ID tokens, empty for access tokens
   * @param failure null on success
   */
  default void tokenFetched(String kind, String audience, Duration took, Throwable failure) {}

  /**
   * A call is about to be retried.
   *
   * @param target e.g. {@code my.api.private:443} or {@code redis 10.0.0.3:6379}
   * @param attempt the attempt number that failed (1 = first)
   * @param cause why, e.g. {@code HTTP 503} or {@code connect refused}
   */
  default void retry(String target, int attempt, Duration delay, String cause) {}

  /** A retry was skipped because the target's retry budget was empty. */
  default void retryBudgetExhausted(String target) {}

  /** A TCP connection to {@code address} for {@code host} could not be established. */
  default void connectFailed(String host, InetSocketAddress address, Throwable cause) {}

  /** A Redis server refused AUTH; {@code reason} explains without showing the secret. */
  default void redisAuthFailed(String target, String reason) {}

  /**
   * One attempt of a call finished (HTTP: one request on the wire; Redis: one try of a command).
   *
   * @param target low-cardinality name of the upstream: {@code host:port} for HTTP, {@code redis host:port}
   *     for Redis (fit for a metric tag)
   * @param attempt 1 for the first attempt
   * @param outcome an HTTP status code ({@code "503"}) or a failure kind: {@code connect} (refused,
   *     unreachable), {@code connect-timeout} (Redis: no answer to the connect), {@code reset}, {@code timeout}
   *     (no reply in time), {@code dns}, {@code tls}, {@code io}, or {@code ok} for a Redis reply
   * @param took time the attempt took
   */
  default void attempt(String target, int attempt, String outcome, Duration took) {}

  /**
   * A logical call ended, after all its attempts.
   *
   * @param target as in {@link #attempt}
   * @param attempts how many attempts were made (retries = attempts - 1)
   * @param succeeded true when the caller got a successful result (HTTP: a response below 500 other than
   *     429; Redis: a reply)
   */
  default void callEnded(String target, int attempts, boolean succeeded) {}

  /**
   * A Redis command failed after it may have reached the server and was not re-sent
   * ({@code AmbiguousCommandException}).
   *
   * @param target as in {@link #attempt}
   * @param command the command name only, e.g. {@code INCR}; never its arguments
   */
  default void redisAmbiguous(String target, String command) {}
}
