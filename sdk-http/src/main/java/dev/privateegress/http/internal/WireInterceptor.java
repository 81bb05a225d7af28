package dev.privateegress.http.internal;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.Connection;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.internal.connection.RealConnection;
import okhttp3.internal.http2.ErrorCode;
import okhttp3.internal.http2.StreamResetException;

/**
 * The SDK's network interceptor, the last before the wire. Three guards on what OkHttp sends and replays:
 *
 * <ol>
 *   <li><b>Token.</b> Puts the hop's ID token on the request here, and only if the request goes to the origin
 *       (scheme, host and port) it was granted for. {@code response.request()} is the application-level
 *       request, which never held it; {@code networkResponse().request()} holds it only in {@code Authorization} or
 *       {@code Proxy-Authorization}, which OkHttp's {@code toString()} redacts. For any other header name the
 *       response is handed back with the request without the token.
 *   <li><b>Stale connections.</b> OkHttp checks a pooled HTTP/1 connection for a server-side close only after
 *       it sat idle 10 s, so a server with a shorter keep-alive (nginx or gunicorn at 2 s, Node at 5 s) has closed
 *       connections OkHttp still uses: the request is written into a dead socket and fails with "unexpected end
 *       of stream" although the server never saw it. A connection reused after more than
 *       {@link #PROBE_AFTER_IDLE_NANOS} idle (for a request that may not be replayed; otherwise
 *       {@link #PROBE_REPLAYABLE_AFTER_IDLE_NANOS}) is probed first (a read that waits 1 ms); if the server closed it,
 *       it is closed here and {@link StaleConnectionException} is thrown before any byte is written, so even a
 *       POST is safely sent on another connection.
 *   <li><b>Idle limit.</b> A pooled connection idle longer than {@link HttpClients#IDLE_LIMIT} is closed when a
 *       call picks it, on the caller's thread, before anything is written ({@link StaleConnectionException}),
 *       whether OkHttp's own cleanup (a task on its thread, throttled with the CPU between requests on
 *       serverless runtimes) ran or not: paths that forget idle flows silently would otherwise swallow the
 *       request.
 *   <li><b>503 + Retry-After: 0.</b> OkHttp replays such a response once by itself, beneath the SDK's retry and
 *       outside its budget. The header is rewritten to the equivalent HTTP-date in the past ("retry now"),
 *       which OkHttp does not replay and the SDK reads as a wait of zero.
 * </ol>
 */
public final class WireInterceptor implements Interceptor {
  /**
   * Probe a reused connection that sat idle at least this long before a request that may not be replayed
   * (a plain POST): far below any server keep-alive in use, so a server's close is always seen first.
   */
  static final long PROBE_AFTER_IDLE_NANOS = 50_000_000L;
  /**
   * Before a request that may be replayed, probe only after this much idleness: should a shorter keep-alive
   * close the connection, the failure is retried like any reset, so the 1 ms probe is not worth paying on
   * every busy connection.
   */
  static final long PROBE_REPLAYABLE_AFTER_IDLE_NANOS = 1_000_000_000L;
  static final String RETRY_NOW = "Thu, 01 Jan 1970 00:00:00 GMT";

  /** A pooled connection idle at least this long is closed when next picked, not used. */
  private final long idleLimitNanos;

  /** With the idle limit of {@link HttpClients#IDLE_LIMIT}. */
  public WireInterceptor() {
    this(HttpClients.IDLE_LIMIT);
  }

  WireInterceptor(Duration idleLimit) {
    this.idleLimitNanos = idleLimit.toNanos();
  }

  Duration idleLimit() {
    return Duration.ofNanos(idleLimitNanos);
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    CallState state = CallState.current(chain.call());
    if (state == null) {
      return chain.proceed(request); // a client whose application interceptors were replaced
    }
    Connection connection = chain.connection();
    if (connection != null && state.reusedConnection()) {
      long idle = idleNanos(connection);
      if (idle != Long.MAX_VALUE && idle >= idleLimitNanos) {
        // The path may have forgotten this flow without a FIN or RST (connector conntrack ~10 min, Cloud NAT
        // 20 min): a request written into it would hang until the read timeout and be ambiguous. Nothing is
        // written; the request goes out on a new connection.
        closeQuietly(connection.socket());
        throw new StaleConnectionException("pooled connection to " + state.target + " was idle "
            + TimeUnit.NANOSECONDS.toMillis(idle) + " ms, past the idle limit of "
            + Duration.ofNanos(idleLimitNanos).toMillis() + " ms; closed unused");
      }
      if (connection.protocol() != Protocol.HTTP_2
          && idle >= (RetryStep.replayable(request) ? PROBE_REPLAYABLE_AFTER_IDLE_NANOS : PROBE_AFTER_IDLE_NANOS)
          && closedByPeer(connection.socket())) {
        throw new StaleConnectionException("pooled connection to " + state.target + " was closed by the server");
      }
    }
    HttpUrl url = request.url();
    HttpUrl hop = state.grantUrl;
    boolean granted = state.grantAudience != null && url.host().equals(hop.host()) && url.port() == hop.port()
        && url.isHttps() == hop.isHttps();
    HttpTracing tracing = state.calls.tracing;
    // Traced, the attempt's span opens first, so that a token fetched for this attempt is its child.
    String token = tracing == null && granted ? state.grantForAttempt() : null;
    Response response;
    try {
      response = tracing == null ? send(chain, state, request, token) : tracing.send(chain, state, request, granted);
    } catch (IOException e) {
      throw refusedStream(connection, e);
    }
    if (response.code() == 503) {
      String retryAfter = response.header("Retry-After");
      if (retryAfter != null && isZero(retryAfter)) {
        response = response.newBuilder().header("Retry-After", RETRY_NOW).build();
      }
    }
    return response;
  }

  /** Proceeds with {@code request}, carrying {@code token} (the hop's {@code Bearer} value) unless null. */
  static Response send(Chain chain, CallState state, Request request, String token) throws IOException {
    if (token == null) {
      return chain.proceed(request);
    }
    Request withToken = request.newBuilder().header(state.calls.tokenHeader, token).build();
    Response response = chain.proceed(withToken);
    if (state.calls.hideNetworkRequest) {
      response = response.newBuilder().request(request).build();
    }
    return response;
  }

  /**
   * The failure to report: {@code e}, or a {@code REFUSED_STREAM} reset (caused by {@code e}) when the request's
   * HTTP/2 stream was refused though the attempt failed with another error. A request body written while the
   * server's GOAWAY arrives fails with the socket's or the connection's error ("closed", "stream closed",
   * "Connection or outbound has closed"), although the stream was above the GOAWAY's last stream id: the server
   * never processed it. OkHttp's {@code CallServerInterceptor}, when writing the request fails, still reads the
   * stream's response headers (a server may answer early) and adds that read's failure to the write's as a
   * suppressed exception; the read waits until OkHttp's reader thread settled the stream, so on a refused stream
   * it is OkHttp's own {@code StreamResetException(REFUSED_STREAM)}. Read on failure only: nothing on the way of
   * a call that succeeds, and nothing on HTTP/1.1.
   */
  static IOException refusedStream(Connection connection, IOException e) {
    if (connection == null || RetryRules.notProcessed(e)
        || connection.protocol() != Protocol.HTTP_2 && connection.protocol() != Protocol.H2_PRIOR_KNOWLEDGE) {
      return e;
    }
    for (Throwable s : e.getSuppressed()) {
      if (s instanceof StreamResetException reset && reset.errorCode == ErrorCode.REFUSED_STREAM) {
        StreamResetException refused = new StreamResetException(ErrorCode.REFUSED_STREAM);
        refused.initCause(e);
        return refused;
      }
    }
    return e;
  }

  private static boolean isZero(String value) {
    String v = value.trim();
    if (v.isEmpty()) {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      if (v.charAt(i) != '0') {
        return false;
      }
    }
    return true;
  }

  /** How long the connection sat in the pool; the maximum when OkHttp does not say (then always probe). */
  private static long idleNanos(Connection connection) {
    try {
      if (connection instanceof RealConnection real) {
        long idleAt = real.getIdleAtNs();
        return idleAt == Long.MAX_VALUE ? 0 : System.nanoTime() - idleAt;
      }
    } catch (LinkageError e) {
      // another OkHttp version without this accessor: probe every reused connection
    }
    return Long.MAX_VALUE;
  }

  /**
   * True when the server closed (or broke) the connection: a read returns end of stream or data nobody asked
   * for. Waits at most 1 ms for a healthy, silent connection.
   */
  static boolean closedByPeer(Socket socket) {
    int timeout;
    try {
      timeout = socket.getSoTimeout();
    } catch (IOException e) {
      return true;
    }
    try {
      socket.setSoTimeout(1);
      socket.getInputStream().read();
      // -1: the server's FIN; a byte: the server spoke out of turn (e.g. an early 408), the stream is out of sync
      closeQuietly(socket);
      return true;
    } catch (SocketTimeoutException healthy) {
      return false;
    } catch (IOException broken) {
      closeQuietly(socket);
      return true;
    } finally {
      try {
        if (!socket.isClosed()) {
          socket.setSoTimeout(timeout);
        }
      } catch (IOException ignored) {
        // closed meanwhile: OkHttp's next use fails and the pool drops it
      }
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing a dead socket
    }
  }
}
