package dev.privateegress;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The validated configuration of a {@link PrivateEgress}: every variable of the README's configuration
 * table, as getters. Immutable; obtained from {@link PrivateEgress#config()}. {@link #toString()} masks
 * secrets.
 *
 * <p>Each value is taken from, in order: the builder, the Java system property (the variable name in
 * lower case with dots, e.g. {@code private.egress.mode}), the environment variable. Surrounding spaces
 * and line breaks are ignored; a control character anywhere else is an error.
 */
public final class EgressConfig {
  /** Header names allowed in {@code PRIVATE_EGRESS_TOKEN_HEADER}. */
  public static final List<String> TOKEN_HEADERS =
      List.of("Authorization", "X-Serverless-Authorization", "Proxy-Authorization");

  private final EgressMode declaredMode;
  private final EgressScope declaredScope;
  private final LookupMode lookup;
  private final Map<String, List<InetAddress>> hosts;
  private final Map<String, String> audiences;
  private final String tokenHeader;
  private final Duration startupGrace;
  private final RedisSettings redis;
  private final String metadataHost;
  private final boolean noGceCheck;
  private final InetAddress staticIp;
  private final java.net.URI ipEcho;
  private final Set<String> tracing;

  EgressConfig(EgressMode declaredMode, EgressScope declaredScope, LookupMode lookup,
      Map<String, List<InetAddress>> hosts, Map<String, String> audiences, String tokenHeader,
      Duration startupGrace, RedisSettings redis, String metadataHost, boolean noGceCheck) {
    this(declaredMode, declaredScope, lookup, hosts, audiences, tokenHeader, startupGrace, redis, metadataHost,
        noGceCheck, null, null, TRACED);
  }

  EgressConfig(EgressMode declaredMode, EgressScope declaredScope, LookupMode lookup,
      Map<String, List<InetAddress>> hosts, Map<String, String> audiences, String tokenHeader,
      Duration startupGrace, RedisSettings redis, String metadataHost, boolean noGceCheck, InetAddress staticIp,
      java.net.URI ipEcho, Set<String> tracing) {
    this.tracing = tracing;
    this.staticIp = staticIp;
    this.ipEcho = ipEcho;
    this.declaredMode = declaredMode;
    this.declaredScope = declaredScope;
    this.lookup = lookup;
    this.hosts = hosts;
    this.audiences = audiences;
    this.tokenHeader = tokenHeader;
    this.startupGrace = startupGrace;
    this.redis = redis;
    this.metadataHost = metadataHost;
    this.noGceCheck = noGceCheck;
  }

  /** {@code PRIVATE_EGRESS_MODE}: empty for {@code auto}. */
  public Optional<EgressMode> declaredMode() {
    return Optional.ofNullable(declaredMode);
  }

  /** {@code PRIVATE_EGRESS_SCOPE}: empty when not declared. */
  public Optional<EgressScope> declaredScope() {
    return Optional.ofNullable(declaredScope);
  }

  /** {@code PRIVATE_EGRESS_LOOKUP}: whether egress detection may read the platform's admin API. */
  public boolean adminApiLookup() {
    return lookup == LookupMode.ADMIN_API;
  }

  /** {@code PRIVATE_EGRESS_LOOKUP} as the enum; {@link LookupMode#ADMIN_API} by default. */
  public LookupMode lookup() {
    return lookup;
  }

  /** {@code PRIVATE_EGRESS_HOSTS}: DNS overrides, host (lower case) to addresses. */
  public Map<String, List<InetAddress>> hostOverrides() {
    return hosts;
  }

  /** {@code PRIVATE_EGRESS_AUDIENCES} as written: host or {@code *.suffix} to audience. */
  public Map<String, String> audiences() {
    return audiences;
  }

  /**
   * The ID-token audience for {@code host}, or empty when the host must never receive a token. Exact
   * entries win, then the longest matching {@code *.suffix} entry, then {@code https://host} for hosts
   * under {@code .run.app}.
   */
  public Optional<String> audienceFor(String host) {
    if (host == null || host.isEmpty()) {
      return Optional.empty();
    }
    String h = host.toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    String exact = audiences.get(h);
    if (exact != null) {
      return Optional.of(exact);
    }
    String best = null;
    int bestLength = -1;
    for (Map.Entry<String, String> e : audiences.entrySet()) {
      String key = e.getKey();
      if (key.startsWith("*.")) {
        String suffix = key.substring(1); // ".example.internal"
        if (h.endsWith(suffix) && h.length() > suffix.length() && suffix.length() > bestLength) {
          best = e.getValue();
          bestLength = suffix.length();
        }
      }
    }
    if (best != null) {
      return Optional.of(best);
    }
    if (h.endsWith(".run.app") && h.length() > ".run.app".length()) {
      return Optional.of("https://" + h);
    }
    return Optional.empty();
  }

  /**
   * The ID-token audience for a request to {@code host} over {@code https} ({@code tls} true) or plain http,
   * or empty when that request must not carry a token. Like {@link #audienceFor(String)}, except that a host
   * matched only by the implicit {@code .run.app} rule gets a token over https alone: a bearer token in
   * cleartext could be read and replayed by anyone on the path, and Cloud Run serves https anyway. Hosts the
   * user mapped in {@code PRIVATE_EGRESS_AUDIENCES} (exactly or by {@code *.suffix}) get one over plain http
   * too, e.g. an internal load balancer inside the VPC.
   */
  public Optional<String> audienceFor(String host, boolean tls) {
    Optional<String> audience = audienceFor(host);
    if (tls || audience.isEmpty() || mapped(host)) {
      return audience;
    }
    return Optional.empty();
  }

  /** True when {@code host} matches an entry of {@code PRIVATE_EGRESS_AUDIENCES}, not just the .run.app rule. */
  private boolean mapped(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    if (audiences.containsKey(h)) {
      return true;
    }
    for (String key : audiences.keySet()) {
      if (key.startsWith("*.") && h.endsWith(key.substring(1)) && h.length() > key.length() - 1) {
        return true;
      }
    }
    return false;
  }

  /** {@code PRIVATE_EGRESS_TOKEN_HEADER}: the header that carries the ID token. */
  public String tokenHeader() {
    return tokenHeader;
  }

  /** What {@code PRIVATE_EGRESS_TRACING} traces by default: everything. */
  public static final Set<String> TRACED = Set.of("http", "redis", "tokens");

  /**
   * {@code PRIVATE_EGRESS_TRACING}: what the SDK traces when it has an {@code ObservationRegistry}, a subset of
   * {@code http}, {@code redis}, {@code tokens} (all by default). With the OpenTelemetry Java agent tracing
   * OkHttp and Jedis already, {@code tokens} keeps their spans from being made twice.
   */
  public boolean traces(String what) {
    return tracing.contains(what);
  }

  /** {@code PRIVATE_EGRESS_STARTUP_GRACE}: window after start in which connect failures are retried harder. */
  public Duration startupGrace() {
    return startupGrace;
  }

  /** The Redis target, when {@code REDIS_URL} or {@code REDISHOST} is set. */
  public Optional<RedisSettings> redis() {
    return Optional.ofNullable(redis);
  }

  /** {@code GCE_METADATA_HOST}: {@code host[:port]} of the metadata server, when overridden. */
  public Optional<String> metadataHost() {
    return Optional.ofNullable(metadataHost);
  }

  /** {@code NO_GCE_CHECK=true}: never probe for the metadata server. */
  public boolean noGceCheck() {
    return noGceCheck;
  }

  /** {@code PRIVATE_EGRESS_STATIC_IP}: the address allow-lists expect public traffic from; enables {@code egress-ip}. */
  public Optional<InetAddress> staticIp() {
    return Optional.ofNullable(staticIp);
  }

  /** {@code PRIVATE_EGRESS_IP_ECHO}: a URL answering the caller's address as the internet sees it. */
  public Optional<java.net.URI> ipEcho() {
    return Optional.ofNullable(ipEcho);
  }

  @Override
  public String toString() {
    return "EgressConfig{mode=" + (declaredMode == null ? "auto" : declaredMode)
        + ", scope=" + (declaredScope == null ? "undeclared" : declaredScope)
        + ", lookup=" + lookup
        + ", hosts=" + hosts
        + ", audiences=" + audiences
        + ", tokenHeader=" + tokenHeader
        + ", startupGrace=" + startupGrace
        + ", redis=" + (redis == null ? "-" : redis)
        + ", metadataHost=" + (metadataHost == null ? "-" : metadataHost)
        + ", noGceCheck=" + noGceCheck
        + (staticIp == null ? "" : ", staticIp=" + staticIp.getHostAddress())
        + (ipEcho == null ? "" : ", ipEcho=" + ipEcho) + "}";
  }
}
