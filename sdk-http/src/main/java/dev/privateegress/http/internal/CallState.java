package dev.privateegress.http.internal;

import dev.privateegress.Token;
import dev.privateegress.http.TokenUnavailableException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Connection;
import okhttp3.EventListener;
import okhttp3.HttpUrl;
import okhttp3.Protocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One logical call as the SDK's interceptors see it: its deadline,
 * the attempts made so far, the token to put on the wire for the current hop, and what OkHttp's events told
 * about the current attempt (added with {@link Call#addEventListener}, so the user's listener factory keeps
 * working). Above all: whether {@code requestHeadersStart} happened. Before it no byte of the request was
 * written, the proof that even a POST may be sent again.
 */
final class CallState extends EventListener {
  private static final Logger log = LoggerFactory.getLogger(CallState.class);

  final ClientContext calls;
  final long deadlineNanos;
  /** Wire attempts of the whole call, all hops and the try after a 401 included. */
  int attempts;
  /** Retries decided (attempts after a failure; a redirect hop or the try after a 401 is not one). */
  int retries;
  /** Requests the server did not process (HTTP/2 refused streams) re-sent outside the policy's attempts. */
  int refusedResends;
  /** Of those, the ones refused before the client got any answer after the call's first refusal (bounded). */
  int refusedWithoutProgress;
  /** The client's {@link ClientContext#answered} at this call's first refusal (low 32 bits: keeps the state small). */
  int answeredAtFirstRefusal;
  /** The outcome of the last attempt, for events ("200", "503", "reset", ...). */
  String lastOutcome;
  /** The current hop's upstream, {@code host:port}. */
  String target;
  /** The call started on https: a hop down to plain http gets no token. */
  final boolean tlsOrigin;

  // The current hop on the retry loop (RetryStep): what it sends, how its last attempt failed, earlier failures.
  okhttp3.Interceptor.Chain chain;
  okhttp3.Request request;
  boolean replayable;
  RetryRules.Failure failure;
  IOException earlier;

  /** The final response was handed to the caller: a failure from now on happens while the body is read. */
  volatile boolean handedOver;

  /** The current hop's URL: its token is put on the wire by WireInterceptor for exactly this origin. */
  HttpUrl grantUrl;
  /** The hop's audience; null when the hop gets no token. */
  String grantAudience;
  /** The token (and header value) the hop's last attempt carried, or the one granted for its first; else null. */
  ClientContext.Bearer grant;
  /** {@link #grant} was just made for this hop: its first attempt on the wire uses it; later ones ask again. */
  boolean grantUnused;

  // What the current attempt did, from OkHttp's events. Written on the call's thread or OkHttp's connect
  // threads (fast fallback), read after the attempt ended.
  private volatile boolean connectStarted;
  private volatile boolean connectionAcquired;
  private volatile boolean requestStarted;
  private volatile InetSocketAddress lastConnectAddress;

  // Guarded by this: the thread sleeping before a retry, and whether cancel() interrupted it.
  private Thread waiting;
  private boolean interruptedByCancel;

  CallState(Call call, ClientContext calls, long startNanos, boolean tlsOrigin) {
    this.call = call;
    this.calls = calls;
    this.deadlineNanos = startNanos + limitNanos(calls, call);
    this.tlsOrigin = tlsOrigin;
  }

  /**
   * The call's time limit: the policy's deadline, or OkHttp's call timeout when shorter. Computed again where a
   * message needs it rather than kept: every field of this object is allocated on every call.
   */
  static long limitNanos(ClientContext calls, Call call) {
    long limit = calls.policy.deadline().toNanos();
    long callTimeout = call.timeout().timeoutNanos();
    return callTimeout > 0 ? Math.min(limit, callTimeout) : limit;
  }

  long limitNanos() {
    return limitNanos(calls, call);
  }

  /**
   * The call being sent on this thread, for the network interceptor. OkHttp runs a call's application and
   * network interceptors on one thread; a thread-local costs no allocation per call, unlike a tag on the call.
   */
  private static final ThreadLocal<CallState> CURRENT = new ThreadLocal<>();

  final Call call;

  /** Makes {@code state} the current call of this thread; returns the one to restore (a call made inside a call). */
  static CallState enter(CallState state) {
    CallState outer = CURRENT.get();
    CURRENT.set(state);
    return outer;
  }

  static void exit(CallState outer) {
    // set(null) rather than remove(): the thread keeps its map entry, so the next call allocates none; the
    // entry holds no state once the call is over.
    CURRENT.set(outer);
  }

  /** The SDK call being sent on this thread for {@code call}, or null. */
  static CallState current(Call call) {
    CallState s = CURRENT.get();
    return s != null && s.call == call ? s : null;
  }

  // The first URL the call sent to each host, i.e. the origin (scheme, host, port) a token for that host is
  // kept within; a second host only after a redirect.
  private HttpUrl firstHop;
  private List<HttpUrl> laterHosts;

  /**
   * True when {@code url} is the origin the call first went to on its host (or the first visit of a host): a
   * redirect to another port or scheme of a host is another origin, and gets no token (curl's
   * CVE-2022-27776; OkHttp drops {@code Authorization} there too).
   */
  boolean firstOriginOfHost(HttpUrl url) {
    if (firstHop == null) {
      firstHop = url;
      return true;
    }
    HttpUrl seen = firstHop.host().equals(url.host()) ? firstHop : null;
    if (seen == null && laterHosts != null) {
      for (HttpUrl u : laterHosts) {
        if (u.host().equals(url.host())) {
          seen = u;
          break;
        }
      }
    }
    if (seen == null) {
      if (laterHosts == null) {
        laterHosts = new ArrayList<>(2);
      }
      laterHosts.add(url);
      return true;
    }
    return seen.port() == url.port() && seen.scheme().equals(url.scheme());
  }

  /**
   * The hop to {@code url} gets a token for {@code audience}: {@code token} for its first attempt, or, when null,
   * one the first attempt asks the cache for itself (traced, so that a fetch is a child of that attempt's span).
   */
  void grant(HttpUrl url, String audience, Token token) {
    grantUrl = url;
    grantAudience = audience;
    grant = token == null ? null : calls.bearer(audience, token);
    grantUnused = token != null;
  }

  /**
   * The header value for the attempt about to be written. A hop's first attempt uses the token granted for it;
   * each later one (a retry, possibly after a long {@code Retry-After}) asks the token cache again, which returns
   * the same token while it is fresh and a valid one otherwise: no attempt carries a token that expired while
   * the call waited.
   */
  String grantForAttempt() throws TokenUnavailableException {
    if (!grantUnused) {
      grant = calls.bearer(grantAudience, calls.token(grantUrl.host(), grantAudience, null));
    }
    grantUnused = false;
    return grant.value;
  }

  /** The token the hop's last attempt carried (the one a 401 rejected), or null when none was sent. */
  Token sentToken() {
    return grant == null ? null : grant.token;
  }

  void clearGrant() {
    grant = null;
    grantAudience = null;
    grantUrl = null;
  }

  /** Forgets the previous attempt. */
  void startAttempt() {
    connectStarted = false;
    connectionAcquired = false;
    requestStarted = false;
  }

  boolean connectionAcquired() {
    return connectionAcquired;
  }

  /** The attempt used a pooled connection: acquired without connecting. */
  boolean reusedConnection() {
    return connectionAcquired && !connectStarted;
  }

  /** OkHttp began writing the request: from here on the server may have received it. */
  boolean requestStarted() {
    return requestStarted;
  }

  InetSocketAddress lastConnectAddress() {
    return lastConnectAddress;
  }

  /**
   * The calling thread is about to sleep before a retry: {@link Call#cancel()} (and so the call timeout)
   * interrupts it from now until {@link #endWait()}, as cancel cuts short any other wait of an OkHttp call.
   */
  synchronized void beginWait(Call call) {
    waiting = Thread.currentThread();
    if (call.isCanceled()) {
      interruptedByCancel = true;
      waiting.interrupt();
    }
  }

  /** The wait is over; clears an interrupt that came from {@code cancel()}, which is not the caller's. */
  synchronized void endWait() {
    waiting = null;
    if (interruptedByCancel) {
      interruptedByCancel = false;
      Thread.interrupted();
    }
  }

  @Override
  public synchronized void canceled(Call call) {
    if (waiting != null && !interruptedByCancel) {
      interruptedByCancel = true;
      waiting.interrupt();
    }
  }

  @Override
  public void connectStart(Call call, InetSocketAddress address, Proxy proxy) {
    connectStarted = true;
    lastConnectAddress = address;
  }

  @Override
  public void connectFailed(Call call, InetSocketAddress address, Proxy proxy, Protocol protocol, IOException e) {
    lastConnectAddress = address;
    if (log.isDebugEnabled()) {
      log.debug("connect to {} for {} failed: {}", address, call.request().url().host(), e.toString());
    }
    if (calls.listener != null) {
      calls.listener.connectFailed(call.request().url().host(), address, e); // core's guard: never throws
    }
  }

  @Override
  public void connectionAcquired(Call call, Connection connection) {
    connectionAcquired = true;
  }

  @Override
  public void requestHeadersStart(Call call) {
    requestStarted = true;
  }

  @Override
  public void requestBodyStart(Call call) {
    requestStarted = true;
  }

  /**
   * Reading the body failed after the SDK handed the response over: OkHttp's exception reaches the caller as it
   * is, so the SDK's advice travels with it as a suppressed exception.
   */
  @Override
  public void responseFailed(Call call, IOException ioe) {
    if (!handedOver || request == null) {
      return; // during an attempt: the retry step explains it
    }
    boolean deadline = System.nanoTime() - deadlineNanos >= 0;
    ioe.addSuppressed(new IOException("reading the response body of " + request.method() + " "
        + request.url().scheme() + "://" + target + request.url().encodedPath() + " failed after its status and "
        + "headers arrived (attempt " + attempts + "): "
        + (deadline ? "the call deadline of " + TimeUnit.NANOSECONDS.toMillis(limitNanos()) + " ms passed while "
            + "reading; raise RetryPolicy.withDeadline or OkHttp's callTimeout if such bodies are expected"
            : "the connection closed or failed mid-body. Not retried: the response was already handed over; run "
                + "the whole call again if it is safe to. A backend or load balancer that cuts long or large "
                + "answers causes this")));
  }

  @Override
  public String toString() {
    return "CallState{target=" + target + ", attempts=" + attempts + "}"; // never the token
  }
}
