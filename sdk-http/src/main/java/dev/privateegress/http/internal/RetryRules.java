package dev.privateegress.http.internal;

import dev.privateegress.internal.RetryLoop;
import java.io.IOException;
import okhttp3.internal.http2.ConnectionShutdownException;
import okhttp3.internal.http2.ErrorCode;
import okhttp3.internal.http2.StreamResetException;

/**
 * How an HTTP attempt's outcome may be retried, as a pure function of what happened: the status, how the attempt
 * failed, whether the request may be sent twice. The limits (attempts, deadline, budget) are {@link RetryLoop}'s.
 */
final class RetryRules {
  private RetryRules() {}

  /** How an attempt ended when it produced no response. */
  enum Failure {
    /** No connection could be made: nothing was sent. */
    CONNECT,
    /** A connection was made but the attempt failed before OkHttp began writing the request. */
    BEFORE_SEND,
    /**
     * The server said it did not process the request, though it was (partly) written: an HTTP/2 stream it refused
     * ({@code REFUSED_STREAM}, which a GOAWAY also gives every stream above its last stream id), or a connection
     * it had shut down before the stream opened. RFC 9113 §8.7: such a request may be sent again, whatever its
     * method. Servers retiring connections (nginx's {@code keepalive_requests}, a reload, a load balancer
     * draining) cause it in normal operation.
     */
    REFUSED,
    /** The connection broke after the request (or part of it) was written: it may have reached the server. */
    AFTER_SEND,
    /** No answer in time after the request was written. */
    TIMEOUT,
    /** A name that does not resolve, a TLS failure or a protocol violation: trying again at once will not help. */
    PERMANENT,
    /** The call was canceled, or its deadline cancelled it. */
    CANCELED
  }

  /**
   * True for the failures that prove the server did not process the request ({@link Failure#REFUSED}): OkHttp's
   * {@code StreamResetException} with {@code REFUSED_STREAM} and its {@code ConnectionShutdownException}.
   * OkHttp's own retry treats them the same way (re-sent for any method; {@code ConnectionShutdownException} as
   * "request not sent").
   */
  static boolean notProcessed(IOException failure) {
    return failure instanceof ConnectionShutdownException
        || failure instanceof StreamResetException reset && reset.errorCode == ErrorCode.REFUSED_STREAM;
  }

  /**
   * Whether a {@link Failure#REFUSED} attempt is re-sent at once, outside the policy's attempts and the target's
   * retry budget. Always once the server makes {@code progress} (it answered other requests of the client since
   * this call's first refusal): a server retiring connections every few requests ({@code keepalive_requests},
   * a reload) refuses the streams of all callers sharing a connection beyond its last one, and a caller may wait
   * through as many connections as there are callers ahead of it, as with OkHttp's own retries; the call's
   * deadline bounds them. Without progress only until the call has had {@code maxResends} such refusals: then the
   * failure goes through {@link #decide} like one that happened before the request was written, so a server
   * refusing everything costs a bounded number of connections.
   */
  static boolean resendRefused(Failure failure, boolean progress, int refusedWithoutProgress, int maxResends) {
    return failure == Failure.REFUSED && (progress || refusedWithoutProgress < maxResends);
  }

  /** 429, 502, 503, 504, without boxing. */
  static boolean retryableStatus(int code) {
    return code == 429 || code == 502 || code == 503 || code == 504;
  }

  /** A response the caller counts as success: below 500 and not 429. */
  static boolean success(int code) {
    return code < 500 && code != 429;
  }

  /** How an attempt that answered {@code code} (or failed as {@code failure} when it is -1) may be retried. */
  static RetryLoop.Kind kind(int code, Failure failure, boolean replayable) {
    if (code >= 0) {
      if (!retryableStatus(code)) {
        return RetryLoop.Kind.FINAL;
      }
      return replayable ? RetryLoop.Kind.RETRY : RetryLoop.Kind.NOT_REPLAYABLE;
    }
    return switch (failure) {
      case CONNECT -> RetryLoop.Kind.CONNECT; // nothing reached the server: any method may be sent again
      case BEFORE_SEND, REFUSED -> RetryLoop.Kind.RETRY; // nothing was processed: any method may be sent again
      case AFTER_SEND -> replayable ? RetryLoop.Kind.RETRY : RetryLoop.Kind.NOT_REPLAYABLE;
      // a timeout after writing means a slow server; a retry would double the load
      default -> RetryLoop.Kind.FINAL;
    };
  }

  /**
   * Decides one attempt with the SDK's {@link RetryLoop#decide}.
   *
   * @param code the response status, or -1 when the attempt failed with {@code failure}
   * @param failure how it failed when {@code code} is -1; ignored otherwise
   * @param replayable the request may be sent again after it may have reached the server (idempotent
   *     method, {@code Idempotency-Key}, or tagged) and its body can be written again
   */
  static RetryLoop.Decision decide(int code, Failure failure, boolean replayable, int attempt, int maxAttempts,
      long retryAfterNanos, long backoffNanos, long remainingNanos) {
    return RetryLoop.decide(kind(code, failure, replayable), attempt, maxAttempts, retryAfterNanos, backoffNanos,
        remainingNanos);
  }
}
