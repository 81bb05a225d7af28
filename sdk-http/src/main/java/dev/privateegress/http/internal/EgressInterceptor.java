package dev.privateegress.http.internal;

import dev.privateegress.EgressConfig;
import dev.privateegress.EgressListener;
import dev.privateegress.internal.NetworkAdvice;
import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryBudget;
import dev.privateegress.RetryPolicy;
import dev.privateegress.Token;
import dev.privateegress.TokenException;
import dev.privateegress.http.Idempotent;
import dev.privateegress.http.TokenUnavailableException;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ProtocolException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The application interceptor behind {@code PrivateHttp}: per logical call it follows redirects itself
 * (so a token header never travels to another host), injects an ID token for hosts in the audience map,
 * refreshes once on a 401, and retries safe failures under one deadline and the process-wide budget, with
 * resilience4j's {@link Retry} counting attempts, sleeping the backoff and publishing events.
 *
 * <p>What is retried: connect failures (nothing was sent), resets on reused pooled connections, and HTTP
 * 429/502/503/504. Only requests that may be replayed are re-sent after they may have reached the server:
 * GET, HEAD, OPTIONS, PUT, DELETE, a request with an {@code Idempotency-Key} header, or one tagged
 * {@link Idempotent}. Any other request is re-sent only when the failure happened before OkHttp began
 * writing it, and OkHttp's own silent replays are switched off for it.
 */
public final class EgressInterceptor implements Interceptor {
  private static final Logger log = LoggerFactory.getLogger(EgressInterceptor.class);

  /** Same limit as OkHttp's (and curl's, and Firefox's). */
  static final int MAX_FOLLOW_UPS = 20;

  private static final Set<String> IDEMPOTENT_METHODS = Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE");
  private static final Set<Integer> RETRYABLE_CODES = Set.of(429, 502, 503, 504);

  private final PrivateEgress egress;
  private final RetryPolicy policy;
  /** Core's guarded listener: a listener that throws is logged by core and never breaks a call. */
  private final EgressListener listener;
  private final String tokenHeader;
  private final boolean followRedirects;
  private final boolean followSslRedirects;
  private final boolean retries;
  private final Retry retry;

  /**
   * An interceptor for one client.
   *
   * @param egress configuration, tokens, retry policy, budget and listener
   * @param followRedirects the redirect setting the user's builder had; OkHttp's own following is turned
   *     off underneath and this interceptor follows instead
   * @param followSslRedirects the user's setting for redirects between http and https
   * @param retries false for single-shot use (the doctor's HEAD)
   */
  public EgressInterceptor(PrivateEgress egress, boolean followRedirects, boolean followSslRedirects,
      boolean retries) {
    this.egress = egress;
    this.policy = egress.retryPolicy();
    this.listener = egress.listener();
    this.tokenHeader = egress.config().tokenHeader();
    this.followRedirects = followRedirects;
    this.followSslRedirects = followSslRedirects;
    this.retries = retries;
    // The decisions (limits, deadline, budget, Retry-After) are made per attempt below and carried on the
    // Attempt. One resilience4j context spans a whole logical call, redirect hops included, and the SDK's
    // attempt limits apply per hop; resilience4j's limit is the most attempts a call can make (every hop at
    // the largest limit the policy allows) so that it never cuts in first.
    RetryConfig config = RetryConfig.<Attempt>custom()
        .maxAttempts((MAX_FOLLOW_UPS + 1) * Math.max(policy.maxAttempts(), policy.startupGraceMaxAttempts()))
        .retryOnResult(a -> a.retry)
        .retryOnException(t -> t instanceof AttemptFailed f && f.attempt.retry)
        .intervalBiFunction((n, either) -> either.isRight()
            ? either.get().delayMillis
            : either.getLeft() instanceof AttemptFailed f ? f.attempt.delayMillis : 0L)
        .consumeResultBeforeRetryAttempt((n, a) -> a.discard())
        .failAfterMaxAttempts(false)
        .writableStackTraceEnabled(false)
        .build();
    this.retry = Retry.of("private-egress-http", config);
  }

  /**
   * The resilience4j {@link Retry} of this client, for metrics (e.g. resilience4j-micrometer).
   *
   * @return the Retry shared by every call through this interceptor
   */
  public Retry retry() {
    return retry;
  }

  /**
   * Whether redirects are followed (the user's original OkHttp setting).
   *
   * @return true when this interceptor follows redirects
   */
  public boolean followRedirects() {
    return followRedirects;
  }

  /**
   * Whether redirects between http and https are followed (the user's original OkHttp setting).
   *
   * @return true when a scheme change is followed
   */
  public boolean followSslRedirects() {
    return followSslRedirects;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    long start = System.nanoTime();
    long limit = policy.deadline().toNanos();
    long callTimeout = chain.call().timeout().timeoutNanos();
    if (callTimeout > 0) {
      limit = Math.min(limit, callTimeout);
    }
    long deadline = start + limit;
    AttemptTracker tracker = new AttemptTracker(listener);
    chain.call().addEventListener(tracker);

    Request request = chain.request();
    boolean tlsOrigin = request.isHttps();
    CallRecord record = new CallRecord(retry.context());
    int followUps = 0;
    try {
      while (true) {
        Response response = exchange(chain, request, deadline, tracker, tlsOrigin, record);
        Request followUp = followRedirects ? followUp(response, request) : null;
        RequestBody body = followUp == null ? null : followUp.body();
        if (followUp == null || body != null && body.isOneShot()) {
          // final; with a one-shot body the redirect cannot be followed, so the caller sees it
          record.complete();
          return response;
        }
        response.close();
        if (++followUps > MAX_FOLLOW_UPS) {
          throw new ProtocolException("Too many follow-up requests: " + followUps);
        }
        log.debug("following redirect to {}", redact(followUp.url()));
        request = followUp;
      }
    } catch (IOException | RuntimeException e) {
      record.failed(e); // unless a hop already reported the outcome
      throw e;
    }
  }

  /** One logical call's resilience4j context, settled exactly once with the call's outcome. */
  private static final class CallRecord {
    final Retry.Context<Attempt> context;
    boolean settled;

    CallRecord(Retry.Context<Attempt> context) {
      this.context = context;
    }

    void complete() {
      if (!settled) {
        settled = true;
        context.onComplete();
      }
    }

    void failed(Exception e) {
      if (!settled) {
        settled = true;
        try {
          context.onError(e); // not an AttemptFailed: counted as failed, rethrown at once, never slept on
        } catch (Exception expected) {
          // the rethrow; the caller throws e itself
        }
      }
    }
  }

  /**
   * One hop: token, attempts, 401 refresh.
   *
   * @param tlsOrigin whether the caller's original request was https: then a hop redirected down to plain
   *     http gets no token, even on the same host
   */
  private Response exchange(Chain chain, Request hop, long deadline, AttemptTracker tracker, boolean tlsOrigin,
      CallRecord record) throws IOException {
    Call call = chain.call();
    String host = hop.url().host().toLowerCase(Locale.ROOT);
    String target = hop.method() + " " + redact(hop.url());
    Optional<String> audience = egress.config().audienceFor(host);
    if (audience.isPresent() && tlsOrigin && !hop.isHttps()) {
      // The caller asked for a TLS-protected call: a redirect down to cleartext must not carry a bearer
      // token that anyone on the path could read and replay, whatever host it names.
      log.debug("{}: redirected from https to http; no ID token sent over cleartext", target);
      audience = Optional.empty();
    }
    Token token = audience.isPresent() ? idToken(host, audience.get(), null) : null;
    boolean replayable = replayable(hop);
    RequestBody body = hop.body();
    boolean bodyReplayable = body == null || !body.isOneShot();
    Request sendable = hop;
    if (!replayable && body != null) {
      // OkHttp re-sends a request by itself after some failures and on "503 + Retry-After: 0"; a one-shot
      // body forbids that, so a request that is not safe to replay is written at most once per attempt.
      sendable = hop.newBuilder().method(hop.method(), new OneShotBody(body)).build();
    }

    Retry.Context<Attempt> context = record.context;
    List<IOException> earlier = new java.util.ArrayList<>(0);
    boolean refreshed = false;
    int attempt = 0;
    while (true) {
      attempt++;
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0 || call.isCanceled()) {
        InterruptedIOException e = new InterruptedIOException(call.isCanceled() ? "Canceled"
            : "call deadline passed before attempt " + attempt + " of " + target);
        earlier.forEach(e::addSuppressed);
        throw e;
      }
      Request request = token == null ? sendable : sendable.newBuilder()
          .header(tokenHeader, "Bearer " + token.value())
          .tag(TokenGuard.Grant.class, new TokenGuard.Grant(host, tokenHeader, hop.isHttps()))
          .build();
      Chain attemptChain = bounded(chain, remaining);
      if (!replayable) {
        attemptChain = attemptChain.withRetryOnConnectionFailure(false);
      }
      tracker.startAttempt();
      Response response = null;
      IOException failure = null;
      try {
        response = attemptChain.proceed(request);
      } catch (IOException e) {
        failure = e;
      }

      if (response != null && response.code() == 401 && token != null && !refreshed && bodyReplayable && retries) {
        // The token may have been revoked or rotated early: one refresh, one more try, not counted as a retry.
        // The provider hands back the same token when a new one cannot help (just refreshed, or the metadata
        // server is down); the 401 is then the answer.
        refreshed = true;
        Token renewed;
        try {
          renewed = idToken(host, audience.get(), token);
        } catch (TokenUnavailableException e) {
          response.close();
          throw e;
        }
        if (!renewed.equals(token)) {
          response.close();
          log.debug("{} answered 401; retrying once with a refreshed ID token for audience {}", target, audience.get());
          token = renewed;
          attempt--;
          continue;
        }
        log.debug("{} answered 401 and no newer ID token for audience {} is available; not retrying",
            target, audience.get());
      }

      Attempt a = decide(call, target, attempt, response, failure, tracker, replayable, bodyReplayable, deadline);
      tracker.beginWait(call); // resilience4j sleeps inside onError/onResult; cancel() must cut that short
      try {
        if (failure != null) {
          context.onError(new AttemptFailed(a)); // sleeps when retrying, rethrows otherwise
          earlier.add(failure);
          continue;
        }
        if (a.retry) {
          if (context.onResult(a)) {
            continue;
          }
          return response; // resilience4j's own limit (not reached with our settings); completed by the caller
        }
        if (a.retryable) {
          context.onError(new AttemptFailed(a)); // stopped by a limit: reported as a failure, not retried
        }
        // Completed by intercept() once it knows this hop is the last (not a redirect it follows).
        if (response.code() < 500 && !a.retryable) {
          budgetOf(response.request().url()).recordSuccess();
        }
        return response;
      } catch (AttemptFailed stopped) {
        record.settled = true; // resilience4j counted the failure when it rethrew
        if (failure != null) {
          earlier.forEach(failure::addSuppressed); // the failures of the earlier attempts, for the record
          throw failure;
        }
        return response;
      } catch (CancellationException e) {
        throw interrupted(a, e, call.isCanceled());
      } catch (IOException | RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IOException(e);
      } finally {
        tracker.endWait();
      }
    }
  }

  private static InterruptedIOException interrupted(Attempt a, Exception cause, boolean canceled) {
    a.discard();
    InterruptedIOException e = new InterruptedIOException(canceled ? "Canceled" : "interrupted while waiting to retry");
    e.initCause(cause);
    return e;
  }

  /** The retry budget of the call's target, {@code host:port}: one per upstream, as Envoy keeps one per cluster. */
  private RetryBudget budgetOf(okhttp3.HttpUrl url) {
    return egress.retryBudget(url.host() + ":" + url.port());
  }

  /** Decides whether this attempt's outcome is retried, and after how long. Spends the budget only for a retry. */
  private Attempt decide(Call call, String target, int attempt, Response response, IOException failure,
      AttemptTracker tracker, boolean replayable, boolean bodyReplayable, long deadline) {
    Attempt a = new Attempt(response, failure);
    if (!retries || call.isCanceled()) {
      a.retryable = response != null && RETRYABLE_CODES.contains(response.code());
      return a;
    }
    String cause;
    boolean connectFailure = false;
    Duration retryAfter = null;
    if (failure != null) {
      boolean sent = tracker.requestStarted();
      if (failure instanceof UnknownHostException || failure instanceof SSLException
          || failure instanceof ProtocolException) {
        return a; // DNS, TLS and protocol errors do not heal by trying again at once
      }
      if (!tracker.connectionAcquired()) {
        connectFailure = true;
        cause = "connect failed: " + describeConnectFailure(failure);
      } else if (tracker.reusedConnection() && !(failure instanceof InterruptedIOException)
          && (replayable || !sent)) {
        cause = "reset on a reused connection: " + failure;
      } else if (!sent && !(failure instanceof InterruptedIOException)) {
        cause = "failed before the request was written: " + failure;
      } else {
        return a; // may have reached the server and is not safe to replay, or a timeout
      }
      if (sent && !bodyReplayable) {
        return a;
      }
      a.retryable = true;
    } else {
      int code = response.code();
      if (!RETRYABLE_CODES.contains(code)) {
        return a;
      }
      a.retryable = true;
      if (!replayable || !bodyReplayable) {
        log.debug("{} answered {}; not retried: {} may not be replayed (add an Idempotency-Key header or the "
            + "Idempotent tag if it is safe)", target, code, response.request().method());
        return a;
      }
      cause = "HTTP " + code;
      // An HTTP-date becomes a wait measured on the egress clock (the clock the rest of the SDK and its tests
      // use); the wait is then checked against, and slept on, the monotonic deadline below, like any backoff.
      retryAfter = RetryAfter.parse(response.header("Retry-After"), egress.clock().instant());
    }

    int maxAttempts = connectFailure && egress.inStartupGrace()
        ? policy.startupGraceMaxAttempts() : policy.maxAttempts();
    if (attempt >= maxAttempts) {
      log.debug("{}: {} after {} attempts; giving up", target, cause, attempt);
      return a;
    }
    Duration delay = retryAfter != null ? retryAfter : policy.backoff(attempt, ThreadLocalRandom.current());
    long remaining = deadline - System.nanoTime();
    if (delay.toNanos() >= remaining) {
      log.debug("{}: {}; waiting {} ms would pass the deadline ({} ms left); giving up", target, cause,
          delay.toMillis(), TimeUnit.NANOSECONDS.toMillis(remaining));
      return a;
    }
    if (!budgetOf(call.request().url()).tryAcquireRetry()) {
      log.debug("{}: {}; retry budget exhausted, not retried", target, cause);
      listener.retryBudgetExhausted(target);
      return a;
    }
    a.retry = true;
    a.delayMillis = delay.toMillis();
    log.debug("{}: {}; retry {} in {} ms", target, cause, attempt, a.delayMillis);
    listener.retry(target, attempt, delay, cause);
    return a;
  }

  /** "refused", "timed out", ...: OkHttp wraps the socket's exception, so look at the innermost one. */
  static String describeConnectFailure(IOException failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root instanceof java.net.SocketTimeoutException || failure instanceof java.net.SocketTimeoutException) {
      return "timed out";
    }
    return root instanceof IOException io ? NetworkAdvice.describe(io, Duration.ZERO) : root.toString();
  }

  /** Caps each phase of one attempt at the time left before the deadline. */
  private static Chain bounded(Chain chain, long remainingNanos) {
    int left = (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(remainingNanos)));
    Chain c = chain;
    int connect = chain.connectTimeoutMillis();
    if (connect == 0 || connect > left) {
      c = c.withConnectTimeout(left, TimeUnit.MILLISECONDS);
    }
    int read = chain.readTimeoutMillis();
    if (read == 0 || read > left) {
      c = c.withReadTimeout(left, TimeUnit.MILLISECONDS);
    }
    int write = chain.writeTimeoutMillis();
    if (write == 0 || write > left) {
      c = c.withWriteTimeout(left, TimeUnit.MILLISECONDS);
    }
    return c;
  }

  private Token idToken(String host, String audience, Token rejected) throws TokenUnavailableException {
    try {
      return rejected == null
          ? egress.tokens().idToken(audience)
          : egress.tokens().refreshIdToken(audience, rejected);
    } catch (TokenException e) {
      throw new TokenUnavailableException(host, audience, e);
    } catch (RuntimeException e) {
      // A custom TokenProvider broke its contract; still fail this call as I/O, never the caller's thread.
      throw new TokenUnavailableException(host, audience, e);
    }
  }

  /** True when the request may be sent again after it may have reached the server. */
  static boolean replayable(Request request) {
    return IDEMPOTENT_METHODS.contains(request.method())
        || request.header("Idempotency-Key") != null
        || Idempotent.isTagged(request);
  }

  /** The next request for a redirect, mirroring OkHttp's rules; null when the response is final. */
  private Request followUp(Response response, Request hop) {
    int code = response.code();
    if (code != 300 && code != 301 && code != 302 && code != 303 && code != 307 && code != 308) {
      return null;
    }
    String location = response.header("Location");
    if (location == null) {
      return null;
    }
    Request prior = hop; // the hop as the caller built it: original body, no injected token
    HttpUrl url = prior.url().resolve(location);
    if (url == null) {
      return null;
    }
    if (!url.scheme().equals(prior.url().scheme()) && !followSslRedirects) {
      return null;
    }
    Request.Builder b = prior.newBuilder();
    String method = prior.method();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      boolean keepBody = method.equals("PROPFIND") || code == 307 || code == 308;
      if (keepBody) {
        b.method(method, prior.body());
      } else {
        b.method("GET", null);
        b.removeHeader("Transfer-Encoding").removeHeader("Content-Length").removeHeader("Content-Type");
      }
    }
    // The token for the next hop, if any, is added by exchange() for that hop's own host.
    boolean sameOrigin = url.scheme().equals(prior.url().scheme()) && url.host().equals(prior.url().host())
        && url.port() == prior.url().port();
    if (!sameOrigin) {
      for (String h : EgressConfig.TOKEN_HEADERS) {
        b.removeHeader(h);
      }
    }
    return b.url(url).build();
  }

  /** scheme://host:port/path without query or user info, for logs and listener events. */
  static String redact(HttpUrl url) {
    return url.scheme() + "://" + url.host() + ":" + url.port() + url.encodedPath();
  }

  /** The outcome of one attempt and what to do about it. */
  static final class Attempt {
    final Response response;
    final IOException failure;
    boolean retryable;
    boolean retry;
    long delayMillis;

    Attempt(Response response, IOException failure) {
      this.response = response;
      this.failure = failure;
    }

    /** Closes a response that is not handed to the caller, so its connection goes back to the pool. */
    void discard() {
      if (response != null) {
        response.close();
      }
    }
  }

  /** Carries a failed attempt through resilience4j's exception path. */
  static final class AttemptFailed extends Exception {
    private static final long serialVersionUID = 1L;
    final transient Attempt attempt;

    AttemptFailed(Attempt attempt) {
      super(attempt.failure != null ? attempt.failure.toString()
          : attempt.response != null ? "HTTP " + attempt.response.code() : "failed", attempt.failure, false, false);
      this.attempt = attempt;
    }
  }

  /** A request body OkHttp must not write twice on its own. */
  static final class OneShotBody extends RequestBody {
    private final RequestBody delegate;

    OneShotBody(RequestBody delegate) {
      this.delegate = delegate;
    }

    @Override
    public MediaType contentType() {
      return delegate.contentType();
    }

    @Override
    public long contentLength() throws IOException {
      return delegate.contentLength();
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
      delegate.writeTo(sink);
    }

    @Override
    public boolean isDuplex() {
      return delegate.isDuplex();
    }

    @Override
    public boolean isOneShot() {
      return true;
    }
  }
}
