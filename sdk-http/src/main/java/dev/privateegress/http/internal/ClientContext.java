package dev.privateegress.http.internal;

import dev.privateegress.EgressListener;
import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryBudget;
import dev.privateegress.RetryPolicy;
import dev.privateegress.Token;
import dev.privateegress.internal.CallRetry;
import dev.privateegress.internal.RetryLoop;
import dev.privateegress.http.TokenUnavailableException;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.HttpUrl;

/**
 * What the interceptors of one SDK client share: the egress settings, the client's retry loop and its resilience4j view, and small
 * bounded caches that keep the per-call path free of string building ({@code host:port} names, audience
 * decisions, {@code Bearer} header values).
 */
final class ClientContext {
  /** Entries per cache; past it a cache is cleared (a caller inventing host names cannot grow memory). */
  static final int MAX_CACHED = 512;
  private static final String[] STATUS = new String[600];

  static {
    for (int i = 100; i < STATUS.length; i++) {
      STATUS[i] = Integer.toString(i);
    }
  }

  final PrivateEgress egress;
  final RetryPolicy policy;
  /** The user's listener behind core's guard, or null when there is none: then no event is even built. */
  final EgressListener listener;
  final String tokenHeader;
  /**
   * OkHttp's {@code toString()} redacts {@code Authorization} and {@code Proxy-Authorization} itself; for any
   * other token header the network response is rebuilt without the token-bearing request.
   */
  final boolean hideNetworkRequest;
  final boolean followRedirects;
  final boolean followSslRedirects;
  /** False for the single-shot clients of doctor and readiness checks. */
  final boolean retries;
  final CallRetry retry;
  final RetryLoop loop;
  /** Null without an ObservationRegistry: then nothing of Micrometer is loaded. */
  final HttpTracing tracing;
  /**
   * Attempts of this client the server answered: a call refused again (HTTP/2) while this grew is behind others
   * on connections the server retires every few requests, not facing a server that refuses everything.
   */
  final java.util.concurrent.atomic.LongAdder answered = new java.util.concurrent.atomic.LongAdder();
  /**
   * Set by the client's first refused stream; until then {@link #answered} is not counted, so a client the server
   * never refuses (every HTTP/1.1 client) makes no shared write per call.
   */
  volatile boolean countAnswers;

  private final ConcurrentHashMap<String, Named> targets = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Scope> scopes = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Bearer> bearers = new ConcurrentHashMap<>();

  ClientContext(PrivateEgress egress, boolean followRedirects, boolean followSslRedirects, boolean retries) {
    this.egress = egress;
    this.policy = egress.retryPolicy();
    this.listener = egress.listener() == EgressListener.NONE ? null : egress.listener();
    this.tokenHeader = egress.config().tokenHeader();
    this.hideNetworkRequest = !tokenHeader.equalsIgnoreCase("Authorization")
        && !tokenHeader.equalsIgnoreCase("Proxy-Authorization");
    this.followRedirects = followRedirects;
    this.followSslRedirects = followSslRedirects;
    this.retries = retries;
    this.tracing = egress.observationRegistry().isPresent() && egress.config().traces("http")
        ? HttpTracing.create(egress) : null;
    // Informational: the limits resilience4j users expect to read. The SDK applies them itself.
    this.retry = new CallRetry("private-egress-http", RetryConfig.custom()
        .maxAttempts(policy.maxAttempts())
        .waitDuration(policy.initialBackoff().isZero() ? Duration.ofMillis(1) : policy.initialBackoff())
        .build());
    this.loop = new RetryLoop(policy, egress::retryBudget, egress::inStartupGrace, egress.listener(), retry);
  }

  static String status(int code) {
    return code >= 100 && code < STATUS.length ? STATUS[code] : Integer.toString(code);
  }

  /** {@code host:port} of {@code url}, built once per host and port. */
  String target(HttpUrl url) {
    String host = url.host();
    int port = url.port();
    Named n = targets.get(host);
    if (n != null && n.port == port) {
      return n.name;
    }
    if (targets.size() >= MAX_CACHED) {
      targets.clear();
    }
    n = new Named(port, (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port);
    targets.put(host, n);
    return n.name;
  }

  RetryBudget budget(String target) {
    return egress.retryBudget(target);
  }

  /**
   * The audience for a request to {@code url}, or null when it must not carry a token. {@code tlsOrigin}: the
   * call began on https, so a hop redirected down to plain http gets none, whatever host it names.
   */
  String audience(HttpUrl url, boolean tlsOrigin) {
    boolean https = url.isHttps();
    if (tlsOrigin && !https) {
      return null;
    }
    Scope s = scopes.get(url.host());
    if (s == null) {
      if (scopes.size() >= MAX_CACHED) {
        scopes.clear();
      }
      Optional<String> overHttps = egress.config().audienceFor(url.host(), true);
      Optional<String> overHttp = egress.config().audienceFor(url.host(), false);
      s = new Scope(overHttps.orElse(null), overHttp.orElse(null));
      scopes.put(url.host(), s);
    }
    return https ? s.overHttps : s.overHttp;
  }

  /** The token for {@code audience}: fresh or cached by the provider; {@code rejected} forces a refresh. */
  Token token(String host, String audience, Token rejected) throws TokenUnavailableException {
    try {
      return rejected == null ? egress.tokens().idToken(audience) : egress.tokens().refreshIdToken(audience, rejected);
    } catch (RuntimeException e) { // TokenException, or a custom provider breaking its contract
      // A custom TokenProvider that breaks its contract still fails this call as I/O, not the caller's thread.
      throw new TokenUnavailableException(host, audience, e);
    }
  }

  /** {@code token} with its header value {@code "Bearer " + token}, built once per token. */
  Bearer bearer(String audience, Token token) {
    Bearer b = bearers.get(audience);
    if (b != null && b.token == token) {
      return b;
    }
    if (bearers.size() >= MAX_CACHED) {
      bearers.clear();
    }
    b = new Bearer(token, "Bearer " + token.value());
    bearers.put(audience, b);
    return b;
  }

  private record Named(int port, String name) {}

  private record Scope(String overHttps, String overHttp) {}

  /** A token and its header value; neither is ever shown. */
  static final class Bearer {
    final Token token;
    final String value;

    Bearer(Token token, String value) {
      this.token = token;
      this.value = value;
    }

    @Override
    public String toString() {
      return "Bearer{<redacted>}";
    }
  }

  @Override
  public String toString() {
    return "ClientContext{retries=" + retries + ", followRedirects=" + followRedirects + "}";
  }
}
