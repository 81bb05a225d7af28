package dev.privateegress.http.internal;

import dev.privateegress.PrivateEgress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.Dns;
import okhttp3.OkHttpClient;

/** Applies the SDK's settings to an OkHttp builder. */
public final class HttpClients {
  /** Idle connections kept per client. */
  public static final int POOL_MAX_IDLE = 5;
  /** Idle eviction, well under the 10-minute idle timeout of VPC connection tracking. */
  public static final Duration POOL_KEEP_ALIVE = Duration.ofMinutes(4);
  /**
   * A pooled connection idle this long is not reused but closed on the caller's thread when next picked: the
   * pool's keep-alive, enforced without waiting for OkHttp's cleanup thread. Well under the idle timeouts of
   * the egress path (VPC connector conntrack about 10 minutes, Cloud NAT 20 minutes for established TCP).
   */
  public static final Duration IDLE_LIMIT = POOL_KEEP_ALIVE;
  /** Connect timeout used instead of OkHttp's 10 s default. */
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /**
   * Re-sends per call of a request the server did not process (an HTTP/2 refused stream, a connection it shut
   * down first) before the server answered any other request of the client after the call's first refusal,
   * beyond the policy's attempts: a bound for a server refusing everything. Refusals while others' requests are
   * answered (a server retiring connections every few requests while many callers share them) are re-sent within
   * the call's deadline.
   */
  public static final int MAX_REFUSED_RESENDS = 10;

  private static final int OKHTTP_DEFAULT_CONNECT_MILLIS = 10_000;

  private HttpClients() {}

  /**
   * Configures {@code builder}. Reads the builder's current redirect, DNS and connect-timeout settings from
   * a throwaway {@code build()} (the only public way to read them) so that they are honoured.
   *
   * @param egress the configuration and token source
   * @param builder the builder to complete; changed in place
   * @param retries false for single-shot clients
   * @return {@code builder}
   */
  public static OkHttpClient.Builder configure(PrivateEgress egress, OkHttpClient.Builder builder, boolean retries) {
    Objects.requireNonNull(egress, "egress");
    Objects.requireNonNull(builder, "builder");
    CallInterceptor previous = null;
    for (var i : builder.interceptors()) {
      if (i instanceof CallInterceptor e) {
        previous = e;
      }
    }
    Duration idleLimit = IDLE_LIMIT;
    for (var i : builder.networkInterceptors()) {
      if (i instanceof WireInterceptor w) {
        idleLimit = w.idleLimit(); // set with PrivateHttp.idleLimit on the client this builder came from
      }
    }
    boolean followRedirects;
    boolean followSslRedirects;
    Dns dns;
    int connectMillis;
    int callTimeoutMillis;
    if (previous != null) {
      // Configured before (e.g. newBuilder() of an SDK client): keep the user's original redirect intent.
      followRedirects = previous.calls.followRedirects;
      followSslRedirects = previous.calls.followSslRedirects;
      builder.interceptors().removeIf(i -> i instanceof CallInterceptor);
      builder.networkInterceptors().removeIf(i -> i instanceof WireInterceptor);
      OkHttpClient probe = builder.build();
      dns = probe.dns() instanceof EgressDns d ? d.fallback() : probe.dns();
      connectMillis = probe.connectTimeoutMillis();
      callTimeoutMillis = probe.callTimeoutMillis();
    } else {
      OkHttpClient probe = builder.build();
      followRedirects = probe.followRedirects();
      followSslRedirects = probe.followSslRedirects();
      dns = probe.dns();
      connectMillis = probe.connectTimeoutMillis();
      callTimeoutMillis = probe.callTimeoutMillis();
    }
    long deadline = egress.retryPolicy().deadline().toMillis();
    if (retries && (callTimeoutMillis == 0 || callTimeoutMillis > deadline)) {
      // OkHttp's call timeout is what cuts off a server that trickles headers or body: read timeouts restart
      // with every byte. The SDK's deadline is the call's timeout unless the user chose a shorter one.
      builder.callTimeout(egress.retryPolicy().deadline());
    }
    apply(egress, builder, followRedirects, followSslRedirects, dns,
        connectMillis == OKHTTP_DEFAULT_CONNECT_MILLIS, retries);
    if (!idleLimit.equals(IDLE_LIMIT)) {
      idleLimit(builder, idleLimit);
    }
    return builder;
  }

  /**
   * Sets the idle limit of a builder configured by the SDK: pooled connections idle this long are closed on
   * the caller's thread when next picked, not used.
   *
   * @param builder a builder completed by {@link #configure} or {@link #configureFresh}, or derived from such a client
   * @param limit positive
   * @return {@code builder}
   * @throws IllegalArgumentException when {@code limit} is not positive or the builder is not configured by the SDK
   */
  public static OkHttpClient.Builder idleLimit(OkHttpClient.Builder builder, Duration limit) {
    Objects.requireNonNull(builder, "builder");
    Objects.requireNonNull(limit, "limit");
    if (limit.isNegative() || limit.isZero()) {
      throw new IllegalArgumentException("idle limit must be positive, got " + limit
          + "; pass how long a pooled connection may sit idle before it is replaced, e.g. Duration.ofMinutes(2)");
    }
    var interceptors = builder.networkInterceptors();
    int at = -1;
    for (int i = 0; i < interceptors.size(); i++) {
      if (interceptors.get(i) instanceof WireInterceptor) {
        at = i;
      }
    }
    if (at < 0) {
      throw new IllegalArgumentException("this OkHttpClient.Builder has no SDK settings, so no idle limit to set; "
          + "call PrivateHttp.configure(egress, builder) first, or use newClient(egress).newBuilder()");
    }
    interceptors.set(at, new WireInterceptor(limit));
    return builder;
  }

  /**
   * For a fresh builder whose settings are OkHttp's defaults: no throwaway build needed.
   *
   * @param egress the configuration and token source
   * @param fresh a new, untouched builder; changed in place
   * @param retries false for single-shot clients
   * @return {@code fresh}
   */
  public static OkHttpClient.Builder configureFresh(PrivateEgress egress, OkHttpClient.Builder fresh, boolean retries) {
    if (retries) {
      fresh.callTimeout(egress.retryPolicy().deadline());
    }
    apply(egress, fresh, true, true, Dns.SYSTEM, true, retries);
    return fresh;
  }

  /**
   * A single-shot client for doctor and readiness checks: no retries, no redirects, every timeout
   * {@code timeout}. Derived from one shared base client, so checks and readiness rounds share one connection
   * pool (and its cleanup task) instead of creating one each; the caller empties the pool after the check.
   *
   * @param egress the configuration and token source of this check
   * @param timeout every timeout of the check's call (connect, read, write, whole call)
   * @return a client for one check
   */
  public static OkHttpClient forChecks(PrivateEgress egress, Duration timeout) {
    OkHttpClient.Builder b = ChecksBase.CLIENT.newBuilder()
        .connectTimeout(timeout).readTimeout(timeout).writeTimeout(timeout).callTimeout(timeout);
    addEgressParts(egress, b, false, false, Dns.SYSTEM, false, false);
    return b.build();
  }

  /**
   * The base of every check client, created on first use. Process-wide rather than one per egress: a per-egress
   * cache entry would keep its egress reachable through the client's DNS and interceptor, so a weakly keyed
   * map would never drop it. Nothing here refers to an egress; the egress parts are light and added per check,
   * and the pool is emptied after each check, so no connection outlives the check that opened it.
   */
  private static final class ChecksBase {
    static final OkHttpClient CLIENT = new OkHttpClient.Builder()
        .followRedirects(false)
        .followSslRedirects(false)
        .connectionPool(newPool())
        .build();
  }

  private static ConnectionPool newPool() {
    return new ConnectionPool(POOL_MAX_IDLE, POOL_KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static void apply(PrivateEgress egress, OkHttpClient.Builder builder, boolean followRedirects,
      boolean followSslRedirects, Dns dns, boolean shortenConnectTimeout, boolean retries) {
    builder.connectionPool(newPool());
    addEgressParts(egress, builder, followRedirects, followSslRedirects, dns, shortenConnectTimeout, retries);
  }

  private static void addEgressParts(PrivateEgress egress, OkHttpClient.Builder builder, boolean followRedirects,
      boolean followSslRedirects, Dns dns, boolean shortenConnectTimeout, boolean retries) {
    builder.dns(new EgressDns(egress, dns));
    // Redirects are followed by CallInterceptor, hop by hop, so that each hop gets only its own token.
    builder.followRedirects(false);
    if (shortenConnectTimeout) {
      // Only when still OkHttp's default: a timeout the user chose is kept.
      builder.connectTimeout(CONNECT_TIMEOUT);
    }
    // Exactly one layer retries: the SDK covers what OkHttp would replay (connect failures, stale pooled
    // connections, resets of idempotent requests); 408 and 503 + Retry-After: 0 are not replayed beneath it.
    builder.retryOnConnectionFailure(false);
    ClientContext calls = new ClientContext(egress, followRedirects, followSslRedirects, retries);
    builder.addInterceptor(new CallInterceptor(calls));
    builder.addNetworkInterceptor(new WireInterceptor());
  }
}
