package dev.privateegress.http.internal;

import java.io.IOException;
import okhttp3.internal.http2.ConnectionShutdownException;
import okhttp3.internal.http2.ErrorCode;
import okhttp3.internal.http2.StreamResetException;

/**
 * The retry decision for one HTTP attempt, as a pure function of what happened and what is left: no I/O,
 * no clock, no budget (the caller spends the budget only when the answer is to retry). Tested on its own.
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

  /** Why a call was not retried, or that it was. */
  enum Verdict {
    RETRY,
    /** The outcome is final: a success, an error that a retry cannot fix, or a status not in 429/502/503/504. */
    FINAL,
    /** Retryable, but the request may have reached the server and may not be sent twice. */
    NOT_REPLAYABLE,
    /** The attempts allowed for the call are used up. */
    ATTEMPTS,
    /** Waiting for the next attempt would pass the call's deadline. */
    DEADLINE
  }

  /** A verdict and, for {@link Verdict#RETRY}, the wait in nanoseconds. */
  record Decision(Verdict verdict, long delayNanos) {
    static final Decision FINAL = new Decision(Verdict.FINAL, 0);
    static final Decision NOT_REPLAYABLE = new Decision(Verdict.NOT_REPLAYABLE, 0);
    static final Decision ATTEMPTS = new Decision(Verdict.ATTEMPTS, 0);
    static final Decision DEADLINE = new Decision(Verdict.DEADLINE, 0);

    boolean retry() {
      return verdict == Verdict.RETRY;
    }

    /** The outcome was one the SDK retries (it may still have been stopped by a limit). */
    boolean retryable() {
      return verdict != Verdict.FINAL;
    }
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
   * retry budget: yes until the call has made {@code maxResends} such re-sends; then the failure goes through
   * {@link #decide} like one that happened before the request was written.
   */
  static boolean resendRefused(Failure failure, int resendsSoFar, int maxResends) {
    return failure == Failure.REFUSED && resendsSoFar < maxResends;
  }

  /** 429, 502, 503, 504, without boxing. */
  static boolean retryableStatus(int code) {
    return code == 429 || code == 502 || code == 503 || code == 504;
  }

  /** A response the caller counts as success: below 500 and not 429. */
  static boolean success(int code) {
    return code < 500 && code != 429;
  }

  /**
   * Decides one attempt.
   *
   * @param code the response status, or -1 when the attempt failed with {@code failure}
   * @param failure how it failed when {@code code} is -1; ignored otherwise
   * @param replayable the request may be sent again after it may have reached the server (idempotent
   *     method, {@code Idempotency-Key}, or tagged) and its body can be written again
   * @param attempt this attempt's number, 1 for the first
   * @param maxAttempts attempts allowed for this kind of outcome
   * @param retryAfterNanos the wait the server asked for, or -1 for none
   * @param backoffNanos the jittered backoff for this retry, used when the server asked for nothing
   * @param remainingNanos time left before the call's deadline
   */
  static Decision decide(int code, Failure failure, boolean replayable, int attempt, int maxAttempts,
      long retryAfterNanos, long backoffNanos, long remainingNanos) {
    if (code >= 0) {
      if (!retryableStatus(code)) {
        return Decision.FINAL;
      }
      if (!replayable) {
        return Decision.NOT_REPLAYABLE;
      }
    } else {
      switch (failure) {
        case CONNECT, BEFORE_SEND, REFUSED -> { } // nothing was processed: any method may be sent again
        case AFTER_SEND -> {
          if (!replayable) {
            return Decision.NOT_REPLAYABLE;
          }
        }
        default -> {
          return Decision.FINAL; // a timeout after writing means a slow server; a retry would double the load
        }
      }
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
}
