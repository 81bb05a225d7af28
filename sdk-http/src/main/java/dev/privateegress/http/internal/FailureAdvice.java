package dev.privateegress.http.internal;

import dev.privateegress.internal.NetworkAdvice;
import dev.privateegress.internal.Util;
import dev.privateegress.Target;
import dev.privateegress.http.TokenUnavailableException;
import dev.privateegress.http.internal.RetryRules.Failure;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import okhttp3.HttpUrl;
import okhttp3.Request;

/**
 * Turns the I/O failure that ends a call into one the caller can act on: the same exception type (a
 * {@code ConnectException} stays one), a message with the cause in words and the egress-aware advice the doctor
 * gives, the original as the cause and earlier attempts' failures as suppressed. The only place sdk-http calls
 * the core's advice ({@link NetworkChecks}); runs only when a call fails.
 */
final class FailureAdvice {
  private FailureAdvice() {}

  static IOException explain(ClientContext calls, CallState state, Request request, IOException failure, Failure kind,
      IOException earlier) {
    if (failure instanceof EgressDns.Unresolved || failure instanceof TokenUnavailableException) {
      return withEarlier(failure, earlier); // explained already (EgressDns; the token's host and audience)
    }
    HttpUrl url = request.url();
    String where = request.method() + " " + url.scheme() + "://" + state.target + url.encodedPath();
    String after = " (attempt " + state.attempts + (state.attempts == 1 ? "" : ", after retries") + ")";
    String original = failure == null ? "" : " [" + failure + "]";
    IOException explained = switch (kind) {
      case CANCELED -> {
        boolean deadline = System.nanoTime() - state.deadlineNanos >= -TimeUnit.MILLISECONDS.toNanos(100);
        yield new InterruptedIOException(deadline
            ? where + ": call deadline of " + TimeUnit.NANOSECONDS.toMillis(state.limitNanos()) + " ms passed"
                + after + original + ". The server did not complete its answer in time (slow, or sending headers "
                + "or body a little at a time); the deadline covers connect, every attempt and wait, and reading "
                + "the body. Check the backend, or raise RetryPolicy.withDeadline / OkHttp's callTimeout if such "
                + "answers are expected"
            : where + ": Canceled" + original);
      }
      case CONNECT -> connectFailure(calls, state, url, where + ": connect failed: " + connectWords(failure)
          + after + original + ". ", failure);
      case PERMANENT -> permanent(where, after, original, failure);
      case TIMEOUT -> new SocketTimeoutException(where + ": no answer within the read timeout after the request "
          + "was written" + after + original + "; not re-sent, since a slow server would get the load twice. "
          + "Check the backend's latency, or raise the client's readTimeout");
      case BEFORE_SEND -> new IOException(where + ": the connection failed before the request was written"
          + after + original + ". Nothing reached the server; check that nothing between here and " + state.target
          + " (proxy, load balancer, firewall) closes connections");
      case REFUSED -> new IOException(where + ": the server did not process the request (an HTTP/2 refused "
          + "stream, or a connection it was shutting down: GOAWAY)" + after + original
          + (state.refusedResends == 0 ? "" : ". It was sent again " + state.refusedResends + " time"
              + (state.refusedResends == 1 ? "" : "s") + " on other streams or connections and refused each time")
          + ". Nothing of it was processed, so any method may be sent again. A server that keeps refusing retires "
          + "connections faster than requests complete (keepalive_requests, reloads, a load balancer draining) or "
          + "limits concurrent streams below this client's load");
      case AFTER_SEND -> new IOException(where + ": the connection broke after the request was written"
          + after + original + ". The server may have received it"
          + (RetryStep.replayable(request) ? "; retries are used up (attempts, deadline or retry budget)"
              : ", so a " + request.method() + " is not re-sent: add an Idempotency-Key header or "
                  + "PrivateHttp.idempotent(...) if the server de-duplicates it")
          + ". A backend or load balancer that resets connections, or closes idle ones sooner than "
          + HttpClients.POOL_KEEP_ALIVE.toSeconds() + " s, causes this");
    };
    if (failure != null) {
      explained.initCause(failure);
    }
    return withEarlier(explained, earlier);
  }

  private static IOException connectFailure(ClientContext calls, CallState state, HttpUrl url, String words,
      IOException failure) {
    String advice;
    InetSocketAddress address = state.lastConnectAddress();
    IOException root = Util.deepestCause(failure, IOException.class);
    if (address != null && !address.isUnresolved() && failure != null) {
      Target target = Target.parse(url.scheme() + "://" + state.target);
      advice = NetworkAdvice.connect(calls.egress.knownEgress(), target, address, root);
    } else {
      advice = "the address did not accept a connection: check the port, firewalls and that the service is up";
    }
    String message = words + advice;
    if (failure instanceof SSLException) {
      return new SSLHandshakeException(message);
    }
    if (root instanceof SocketTimeoutException || failure instanceof SocketTimeoutException) {
      return new SocketTimeoutException(message);
    }
    if (root instanceof NoRouteToHostException) {
      return new NoRouteToHostException(message);
    }
    return new ConnectException(message);
  }

  private static IOException permanent(String where, String after, String original, IOException failure) {
    if (failure instanceof SSLPeerUnverifiedException) {
      return new SSLPeerUnverifiedException(where + ": the server's certificate does not name this host" + after
          + original + ". Call it by a name its certificate lists, or reissue the certificate with this name");
    }
    if (failure instanceof SSLException) {
      return new SSLHandshakeException(where + ": TLS handshake failed" + after + original + ". The port may "
          + "speak plain http (use http://), or the server's certificate chain is not trusted by this JVM "
          + "(an internal CA must be added to the trust store), or the protocols do not match");
    }
    if (failure instanceof ProtocolException) {
      return new ProtocolException(where + ": the server broke the HTTP protocol" + after + original
          + ". The port may speak another protocol (https on an http port, or not HTTP at all)");
    }
    if (failure instanceof UnknownHostException) {
      return new UnknownHostException(where + ": the name does not resolve" + after + original);
    }
    return new IOException(where + ": request failed" + after + original);
  }

  /** "refused", "timed out", ...: OkHttp wraps the socket's exception, so look at the innermost one. */
  static String connectWords(IOException failure) {
    if (failure == null) {
      return "failed";
    }
    IOException root = Util.deepestCause(failure, IOException.class);
    if (root instanceof SocketTimeoutException || failure instanceof SocketTimeoutException) {
      return "timed out";
    }
    if (failure instanceof SSLException) {
      return "TLS handshake failed";
    }
    return NetworkAdvice.describe(root, Duration.ZERO);
  }

  private static IOException withEarlier(IOException e, IOException earlier) {
    if (earlier != null && earlier != e) {
      e.addSuppressed(earlier);
    }
    return e;
  }
}
