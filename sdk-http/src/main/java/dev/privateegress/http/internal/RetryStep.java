package dev.privateegress.http.internal;

import dev.privateegress.internal.RetryLoop;
import dev.privateegress.http.Idempotent;
import dev.privateegress.http.TokenUnavailableException;
import dev.privateegress.http.internal.RetryRules.Failure;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ProtocolException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import okhttp3.Call;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one hop's request on the SDK's {@link RetryLoop}, retrying when {@link RetryRules} says so, within the
 * call's deadline, the policy's attempts and the target's retry budget. It is the only layer that retries:
 * OkHttp's own replays ({@code retryOnConnectionFailure}, {@code 503 + Retry-After: 0}) are off beneath it. Every
 * attempt on the wire is reported ({@code attempt} event, resilience4j total calls); a pooled connection found
 * closed by the server before anything was written ({@link StaleConnectionException}) is not an attempt: the
 * request is sent on another connection at once, as OkHttp does after its own health check.
 */
final class RetryStep implements RetryLoop.Step<CallState, Response, IOException> {
  private static final Logger log = LoggerFactory.getLogger(RetryStep.class);

  /** Stale pooled connections skipped per hop: more than the pool holds, fewer than a loop. */
  static final int MAX_STALE_SKIPS = HttpClients.POOL_MAX_IDLE + 2;

  private final ClientContext calls;

  RetryStep(ClientContext calls) {
    this.calls = calls;
  }

  /** Sends one hop ({@code request}) on {@code chain}, retrying as {@link RetryRules} allows. */
  Response proceed(Interceptor.Chain chain, CallState state, Request request) throws IOException {
    // Exactly one layer retries: if someone switched OkHttp's replays back on after configure(), not beneath us.
    state.chain = chain.getRetryOnConnectionFailure() ? chain.withRetryOnConnectionFailure(false) : chain;
    state.request = request;
    RequestBody body = request.body();
    state.replayable = replayable(request) && (body == null || !body.isOneShot());
    state.earlier = null;
    return calls.loop.run(this, state, state.deadlineNanos, null);
  }

  @Override
  public boolean catchesUnchecked() {
    return false;
  }

  /** One attempt on the wire: the place per attempt where it is sent, classified and reported. */
  @Override
  public Response attempt(CallState state, int n) throws IOException {
    Call call = state.call;
    while (true) {
      if (call.isCanceled()) {
        state.failure = Failure.CANCELED;
        throw canceled(state);
      }
      long began = System.nanoTime();
      Response response = null;
      IOException failure = null;
      for (int staleSkips = 0; ; staleSkips++) {
        state.startAttempt();
        try {
          response = state.chain.proceed(state.request);
        } catch (IOException e) {
          failure = e;
        }
        if (!(failure instanceof StaleConnectionException) || state.requestStarted()
            || staleSkips >= MAX_STALE_SKIPS) {
          break;
        }
        failure = null;
        if (log.isDebugEnabled()) {
          log.debug("{}: pooled connection closed by the server; sending on another one", state.target);
        }
      }
      if (failure instanceof TokenUnavailableException) {
        // No token for this attempt (one asked for at the wire: a retry's, or a traced first attempt's). Nothing
        // was sent, so it is no attempt, and the call ends with it as when a hop's first token cannot be had.
        state.failure = Failure.PERMANENT;
        throw failure;
      }
      if (failure != null && calls.tracing != null) {
        calls.tracing.failedBeforeWire(state, state.request, began, failure);
      }
      state.attempts++;
      calls.retry.attempted();
      int code = response != null ? response.code() : -1;
      state.failure = failure == null ? null : classify(failure, state, call);
      String outcome = code >= 0 ? ClientContext.status(code) : outcomeOf(state.failure, failure, state);
      state.lastOutcome = outcome;
      if (calls.listener != null) {
        calls.listener.attempt(state.target, state.attempts, outcome, Duration.ofNanos(System.nanoTime() - began));
      }
      if (code >= 0 && calls.countAnswers) {
        calls.answered.increment();
      }
      boolean progress = false;
      if (state.failure == RetryRules.Failure.REFUSED) {
        // Answers, not refusals, show the server at work: nginx refuses the streams past keepalive_requests
        // as soon as it has the last one, before the requests it kept are answered.
        if (!calls.countAnswers) {
          calls.countAnswers = true; // answers from now on are counted (before this read of the sum)
        }
        int answered = (int) calls.answered.sum();
        if (state.refusedResends == 0) {
          state.answeredAtFirstRefusal = answered;
        }
        progress = answered != state.answeredAtFirstRefusal;
      }
      if (calls.retries
          && RetryRules.resendRefused(state.failure, progress, state.refusedWithoutProgress,
          HttpClients.MAX_REFUSED_RESENDS)) {
        // The server did not process it (RFC 9113 §8.7): sent again at once on another stream or connection, not
        // counted against the policy's attempts nor the target's budget. OkHttp does the same when its own
        // retries are on; pools drop the connection (GOAWAY) or stop using it after a second refusal.
        state.refusedResends++;
        if (!progress) {
          state.refusedWithoutProgress++;
        }
        if (state.earlier == null) {
          state.earlier = failure;
        }
        if (log.isDebugEnabled()) {
          log.debug("{}: {} not processed by the server ({}); sending it again", state.target,
              state.request.method(), failure.toString());
        }
        continue;
      }
      if (failure != null) {
        throw failure;
      }
      return response;
    }
  }

  @Override
  public RetryLoop.Kind judge(CallState state, Response response, IOException failure, int n) {
    int code = response != null ? response.code() : -1;
    if (code >= 0 && !RetryRules.retryableStatus(code) || !calls.retries) {
      return RetryLoop.Kind.FINAL; // the common case: no header parsing, no backoff drawn
    }
    return RetryRules.kind(code, state.failure, state.replayable);
  }

  @Override
  public long retryAfterNanos(CallState state, Response response) {
    // An HTTP-date becomes a wait measured on the egress clock (the clock the rest of the SDK and its tests
    // use); it is then checked against the monotonic deadline like any backoff.
    Duration ra = RetryAfter.parse(response.header("Retry-After"), calls.egress.clock().instant());
    return ra == null ? -1 : saturatedNanos(ra);
  }

  @Override
  public String target(CallState state) {
    return state.target;
  }

  @Override
  public String cause(CallState state, Response response, IOException failure) {
    return response != null ? "HTTP " + state.lastOutcome : causeOf(state.failure, failure);
  }

  @Override
  public void beforeRetry(CallState state, Response response, IOException failure, long delayNanos)
      throws IOException {
    state.retries++;
    if (log.isDebugEnabled()) {
      log.debug("{}: {}; retry {} in {} ms", state.target, cause(state, response, failure), state.retries,
          TimeUnit.NANOSECONDS.toMillis(delayNanos));
    }
    if (response != null) {
      response.close(); // back to the pool
    } else if (state.earlier == null) {
      state.earlier = failure;
    } else {
      state.earlier.addSuppressed(failure);
    }
    sleep(state.call, state, delayNanos, state.earlier);
  }

  @Override
  public Response finish(CallState state, Response response, IOException failure, RetryLoop.Decision d,
      int attempts) throws IOException {
    if (d.verdict() == RetryLoop.Verdict.BUDGET && calls.tracing != null) {
      calls.tracing.budgetRefused();
    }
    if (response != null) {
      int code = response.code();
      if (RetryRules.success(code)) {
        calls.budget(state.target).recordSuccess();
      } else if (d.verdict() != RetryLoop.Verdict.FINAL && log.isDebugEnabled()) {
        log.debug("{}: {}; not retried ({}){}", state.target, state.lastOutcome, d.verdict(),
            d.verdict() == RetryLoop.Verdict.NOT_REPLAYABLE ? ": " + state.request.method() + " may not be replayed "
                + "(add an Idempotency-Key header or the Idempotent tag if it is safe)" : "");
      }
      return response;
    }
    if (d.verdict() == RetryLoop.Verdict.BUDGET && log.isDebugEnabled()) {
      log.debug("{}: {}; retry budget exhausted, not retried", state.target, state.lastOutcome);
    }
    throw FailureAdvice.explain(calls, state, state.request, failure, state.failure, state.earlier);
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  private static void sleep(Call call, CallState state, long nanos, IOException earlier) throws IOException {
    if (nanos <= 0) {
      return;
    }
    state.beginWait(call); // cancel() and the call timeout cut the wait short
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      boolean canceled = call.isCanceled();
      if (!canceled) {
        Thread.currentThread().interrupt(); // the caller's own interrupt: keep it
      }
      InterruptedIOException io = canceled ? canceled(state) : new InterruptedIOException("interrupted while waiting to retry");
      io.initCause(e);
      if (earlier != null) {
        io.addSuppressed(earlier);
      }
      throw io;
    } finally {
      state.endWait();
    }
  }

  private static InterruptedIOException canceled(CallState state) {
    return System.nanoTime() - state.deadlineNanos >= 0
        ? new InterruptedIOException("call deadline of " + TimeUnit.NANOSECONDS.toMillis(state.limitNanos())
            + " ms passed")
        : new InterruptedIOException("Canceled");
  }

  static Failure classify(IOException failure, CallState state, Call call) {
    if (call.isCanceled()) {
      return Failure.CANCELED;
    }
    if (failure instanceof UnknownHostException || failure instanceof SSLHandshakeException
        || failure instanceof SSLPeerUnverifiedException || failure instanceof ProtocolException) {
      return Failure.PERMANENT;
    }
    if (RetryRules.notProcessed(failure)) {
      return Failure.REFUSED;
    }
    if (!state.connectionAcquired()) {
      // A handshake the server answers with something that is not TLS (an http port) will not heal either.
      return failure instanceof javax.net.ssl.SSLException ? Failure.PERMANENT : Failure.CONNECT;
    }
    if (!state.requestStarted()) {
      return Failure.BEFORE_SEND;
    }
    if (failure instanceof InterruptedIOException) {
      return Failure.TIMEOUT;
    }
    return Failure.AFTER_SEND;
  }

  /** The {@code attempt} event's outcome for a failure: connect, reset, timeout, dns, tls or io. */
  static String outcomeOf(Failure kind, IOException failure, CallState state) {
    return switch (kind) {
      case CONNECT -> failure instanceof javax.net.ssl.SSLException ? "tls" : "connect";
      case TIMEOUT -> "timeout";
      // canceled by the call's deadline (OkHttp's call timeout is set to it) reads as a timeout
      case CANCELED -> System.nanoTime() - state.deadlineNanos >= 0 ? "timeout" : "io";
      case PERMANENT -> failure instanceof UnknownHostException ? "dns"
          : failure instanceof javax.net.ssl.SSLException ? "tls" : "io";
      case REFUSED -> "refused";
      case BEFORE_SEND, AFTER_SEND -> failure instanceof SocketException || isEndOfStream(failure) ? "reset" : "io";
    };
  }

  static boolean isEndOfStream(IOException e) {
    return e instanceof java.io.EOFException || String.valueOf(e.getMessage()).contains("end of stream");
  }

  private static String causeOf(Failure kind, IOException failure) {
    return switch (kind) {
      case CONNECT -> "connect failed: " + FailureAdvice.connectWords(failure);
      case BEFORE_SEND -> "failed before the request was written: " + failure;
      case REFUSED -> "not processed by the server (HTTP/2 refused stream or shut-down connection): " + failure;
      default -> "connection broken after the request was written: " + failure;
    };
  }

  /** True when the request may be sent again after it may have reached the server. */
  static boolean replayable(Request request) {
    String m = request.method();
    return m.equals("GET") || m.equals("HEAD") || m.equals("OPTIONS") || m.equals("PUT") || m.equals("DELETE")
        || request.header("Idempotency-Key") != null
        || Idempotent.isTagged(request);
  }
}
