package dev.privateegress;

import dev.privateegress.internal.ConfigSource;
import dev.privateegress.internal.Doctor;
import dev.privateegress.internal.EgressDetector;
import dev.privateegress.internal.GoogleTokenProvider;
import dev.privateegress.internal.MetadataClient;
import dev.privateegress.internal.MetadataException;
import dev.privateegress.internal.PlatformDetector;
import dev.privateegress.internal.Readiness;
import dev.privateegress.internal.RedisUrlParser;
import dev.privateegress.internal.RetryBudgets;
import dev.privateegress.internal.SafeListener;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point: configuration, platform and egress detection, tokens, retry policy and budget,
 * readiness and diagnostics for one process.
 *
 * <pre>{@code
 * PrivateEgress egress = PrivateEgress.fromEnvironment();   // no network I/O
 * OkHttpClient http = PrivateHttp.newClient(egress);
 * UnifiedJedis redis = PrivateRedis.connect(egress);
 * }</pre>
 *
 * <p>Create one per process and share it. Construction validates every variable and fails fast with
 * a {@link ConfigurationException}; it never touches the network. Platform, project, region and egress
 * are detected lazily on first use and cached. No background threads are started.
 */
public final class PrivateEgress {
  /**
   * Loaded on first log call only: initialising slf4j costs tens of milliseconds in a cold JVM, and
   * {@code fromEnvironment()} plus {@code platform()} off Google Cloud must stay far below that.
   */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(PrivateEgress.class);
  }

  private final EgressConfig config;
  private final Map<String, String> env;
  private final Clock clock;
  private final Instant startedAt;
  private final EgressListener listener;
  private final RetryPolicy retryPolicy;
  private final RetryBudgets retryBudgets;
  private final MetadataClient metadata;
  private final Duration metadataConnectTimeout;
  private final Duration metadataReadTimeout;
  private final Path dmiProductName;
  private final String adminApiBaseUrl;
  private final Lazy<Platform> platform;
  private final Lazy<TokenProvider> tokens;
  private final EgressDetector egressDetector;
  private final Map<String, Optional<String>> metadataValues = new HashMap<>();

  private PrivateEgress(Builder b, EgressConfig config) {
    this.config = config;
    this.env = new Environment(Map.copyOf(b.env));
    this.clock = b.clock;
    this.startedAt = b.startedAt != null ? b.startedAt : clock.instant();
    this.listener = SafeListener.wrap(b.listener);
    this.retryPolicy = b.retryPolicy;
    this.retryBudgets = b.retryBudget != null
        ? RetryBudgets.shared(b.retryBudget)
        : RetryBudgets.perTarget(b.retryBudgetFactory);
    this.metadata = new MetadataClient(config.metadataHost().orElse(MetadataClient.DEFAULT_HOST),
        b.metadataConnectTimeout, b.metadataReadTimeout);
    this.metadataConnectTimeout = b.metadataConnectTimeout;
    this.metadataReadTimeout = b.metadataReadTimeout;
    this.dmiProductName = b.dmiProductName;
    this.adminApiBaseUrl = b.adminApiBaseUrl;
    this.platform = new Lazy<>(this::detectPlatform);
    TokenProvider custom = b.tokenProvider;
    com.google.auth.oauth2.GoogleCredentials credentials = b.credentials;
    TokenOptions tokenOptions = b.tokenOptions;
    this.tokens = new Lazy<>(() -> custom != null
        ? custom
        : new GoogleTokenProvider(this, metadata, credentials, tokenOptions));
    this.egressDetector = newEgressDetector(adminApiBaseUrl, EgressDetector.DEFAULT_BUDGET);
  }

  /**
   * An egress detector wired to this instance, with project and region read from the metadata server
   * within the detection's own deadline (tests use a short budget).
   */
  EgressDetector newEgressDetector(String adminApiBaseUrl, Duration budget) {
    return new EgressDetector(this, adminApiBaseUrl, budget, this::projectBefore, this::regionBefore);
  }

  /**
   * Reads the process environment and system properties once and builds an instance. No network I/O.
   *
   * @throws ConfigurationException naming the variable, its value and what is allowed
   */
  public static PrivateEgress fromEnvironment() {
    return builder()
        .environment(System.getenv())
        .systemProperties(System.getProperties())
        .dmiProductName(Path.of("/sys/class/dmi/id/product_name"))
        .build();
  }

  /**
   * A builder with an empty environment, the system clock and no system properties: only what is set
   * on it counts. Every configuration variable has a setter; {@link Builder#environment} supplies the
   * rest as a map.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** The validated configuration. */
  public EgressConfig config() {
    return config;
  }

  /**
   * The environment this instance was built from (read-only). Its {@code toString()} masks {@code
   * REDIS_AUTH}, the password in {@code REDIS_URL} and variables whose name says they hold a secret.
   */
  public Map<String, String> environment() {
    return env;
  }

  /** The clock used for token expiry, startup grace and timing. */
  public Clock clock() {
    return clock;
  }

  /** When this instance was created; the startup grace window counts from here. */
  public Instant startedAt() {
    return startedAt;
  }

  /**
   * The listener that receives SDK events (never null; a no-op by default). Exceptions thrown by the
   * configured listener are caught and logged, never propagated into SDK calls.
   */
  public EgressListener listener() {
    return listener;
  }

  /** Attempts, backoff and deadline used by the HTTP and Redis clients. */
  public RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /**
   * The retry budget of one target: {@code host:port} for HTTP, the endpoint (or the cluster's seed) for
   * Redis. Each target has its own bucket, created on first use, so an outage of one never spends the
   * retries of another; past {@value RetryBudgets#MAX_TARGETS} targets the rest share one bucket.
   */
  public RetryBudget retryBudget(String target) {
    return retryBudgets.forTarget(Objects.requireNonNull(target, "target"));
  }

  /** ID and access tokens (cached; created on first use, no network I/O until a token is asked for). */
  public TokenProvider tokens() {
    return tokens.get();
  }

  /**
   * The platform, detected on first call and cached. Environment variables decide where they can;
   * otherwise the metadata server is asked only when {@code GCE_METADATA_HOST} is set (a short,
   * bounded request) or the machine's DMI product name says Google. Off Google Cloud with neither,
   * no network call is made.
   */
  public Platform platform() {
    return platform.get();
  }

  /** The project id: {@code GOOGLE_CLOUD_PROJECT}, {@code GCLOUD_PROJECT}, {@code GCP_PROJECT}, else the metadata server. */
  public Optional<String> project() {
    Optional<String> declared = declaredProject();
    return declared.isPresent() ? declared : metadataValue("project/project-id");
  }

  private Optional<String> declaredProject() {
    for (String name : List.of("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "GCP_PROJECT")) {
      String v = env.get(name);
      if (v != null && !v.isBlank()) {
        return Optional.of(v.trim());
      }
    }
    return Optional.empty();
  }

  /** {@link #project()} with every metadata read bounded by {@code deadlineNanos}; failures are thrown. */
  private Optional<String> projectBefore(long deadlineNanos) throws MetadataException {
    Optional<String> declared = declaredProject();
    return declared.isPresent() ? declared : metadataValueBefore("project/project-id", deadlineNanos);
  }

  /** {@link #region()} with every metadata read bounded by {@code deadlineNanos}; failures are thrown. */
  private Optional<String> regionBefore(long deadlineNanos) throws MetadataException {
    String v = env.get("FUNCTION_REGION");
    if (v != null && !v.isBlank()) {
      return Optional.of(v.trim());
    }
    Optional<String> region = metadataValueBefore("instance/region", deadlineNanos).map(PrivateEgress::lastSegment);
    if (region.isPresent()) {
      return region;
    }
    return metadataValueBefore("instance/zone", deadlineNanos).map(PrivateEgress::lastSegment)
        .map(PrivateEgress::zoneRegion);
  }

  private static String zoneRegion(String zone) {
    int dash = zone.lastIndexOf('-');
    return dash > 0 ? zone.substring(0, dash) : zone;
  }

  /** The numeric project number from the metadata server (needed by some admin APIs). */
  public Optional<String> projectNumber() {
    return metadataValue("project/numeric-project-id");
  }

  /**
   * The region: {@code FUNCTION_REGION} (Cloud Functions gen1), else the metadata server's {@code
   * instance/region} (serverless) or the region of {@code instance/zone} (GCE, GKE).
   */
  public Optional<String> region() {
    String v = env.get("FUNCTION_REGION");
    if (v != null && !v.isBlank()) {
      return Optional.of(v.trim());
    }
    Optional<String> region = metadataValue("instance/region").map(PrivateEgress::lastSegment);
    if (region.isPresent()) {
      return region;
    }
    return metadataValue("instance/zone").map(PrivateEgress::lastSegment).map(PrivateEgress::zoneRegion);
  }

  /** The runtime service account's email, from the metadata server. */
  public Optional<String> serviceAccountEmail() {
    return metadataValue("instance/service-accounts/default/email");
  }

  /**
   * The egress verdict, detected on first call and cached: declared configuration, then the platform's
   * admin API (when {@code PRIVATE_EGRESS_LOOKUP=admin-api} and on Google Cloud), then the platform.
   * Time-bounded; never throws for permission or network problems (they become {@code unknown} with
   * evidence). Do not call it on a request path that must not wait; use {@link #knownEgress()}.
   */
  public EgressInfo egress() {
    return egressDetector.detect();
  }

  /**
   * What is known about egress right now without any I/O: the cached verdict if {@link #egress()} ran,
   * else what configuration and platform alone say (possibly {@code unknown}).
   */
  public EgressInfo knownEgress() {
    return egressDetector.known();
  }

  /**
   * Evidence for egress detection step 3: a TCP connection to a private address succeeded (called by
   * {@link NetworkChecks#tcp}). No I/O.
   */
  void recordProbe(String host, java.net.InetSocketAddress address) {
    egressDetector.recordProbe(host, address);
  }

  /**
   * True while connect failures deserve extra attempts: within {@code PRIVATE_EGRESS_STARTUP_GRACE} of
   * start, when egress is (or may be) Direct VPC on Cloud Run, which can take a minute or more to
   * carry traffic after an instance starts. Never does I/O.
   */
  public boolean inStartupGrace() {
    Duration grace = config.startupGrace();
    if (grace.isZero() || !Duration.between(startedAt, clock.instant()).minus(grace).isNegative()) {
      return false;
    }
    EgressMode mode = knownEgress().mode();
    if (mode == EgressMode.DIRECT_VPC) {
      return true;
    }
    Platform p = platform.peek();
    boolean cloudRun = p != null ? p.onCloudRun() : PlatformDetector.fromEnvironment(env) != null
        && PlatformDetector.fromEnvironment(env).onCloudRun();
    return cloudRun && (mode == EgressMode.UNKNOWN || mode == EgressMode.VPC);
  }

  /**
   * Runs side-effect-free checks against each target ({@code http(s)://}, {@code redis(s)://}, {@code
   * tcp://host:port}) and explains each failure. Never throws for network problems.
   *
   * @throws ConfigurationException when a target cannot be parsed
   */
  public DoctorReport doctor(Collection<String> targets) {
    return Doctor.run(this, parseTargets(targets));
  }

  /** Varargs form of {@link #doctor(Collection)}. */
  public DoctorReport doctor(String... targets) {
    return doctor(List.of(targets));
  }

  /**
   * Waits until every target answers (DNS + TCP, plus Redis PING / HTTP HEAD when those modules are on
   * the class path), retrying with backoff, for startup probes and sidecars such as an auth proxy on
   * {@code tcp://127.0.0.1:5432}.
   *
   * @return the last successful check of each target
   * @throws NotReadyException when {@code timeout} passes first; its message says what still failed and why
   * @throws IllegalArgumentException when {@code timeout} is negative
   */
  public List<CheckResult> awaitReady(Collection<String> targets, Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("awaitReady timeout must not be negative, was " + timeout
          + "; pass how long to wait, e.g. Duration.ofSeconds(60)");
    }
    return Readiness.await(this, parseTargets(targets), timeout);
  }

  /** Single-target form of {@link #awaitReady(Collection, Duration)}. */
  public List<CheckResult> awaitReady(String target, Duration timeout) {
    return awaitReady(List.of(target), timeout);
  }

  private static List<Target> parseTargets(Collection<String> targets) {
    List<Target> parsed = new ArrayList<>(targets.size());
    for (String t : targets) {
      parsed.add(Target.parse(t));
    }
    return parsed;
  }

  private Platform detectPlatform() {
    return PlatformDetector.detect(env, this::metadataAnswers);
  }

  /**
   * Whether it is worth asking the metadata server at all. Never true off Google Cloud unless the user
   * pointed GCE_METADATA_HOST somewhere, so a laptop pays nothing.
   */
  private boolean metadataAllowed() {
    if (config.noGceCheck() && config.metadataHost().isEmpty()) {
      return false;
    }
    if (config.metadataHost().isPresent()) {
      return true;
    }
    Platform p = platform.peek();
    if (p != null) {
      return p.onGoogleCloud();
    }
    return PlatformDetector.fromEnvironment(env) != null || dmiSaysGoogle();
  }

  private boolean metadataAnswers() {
    if (config.noGceCheck()) {
      return false;
    }
    if (config.metadataHost().isPresent()) {
      try {
        // Short and bounded: this decides between gce and local.
        metadata.get("project/project-id", Duration.ofMillis(500), Duration.ofMillis(1000));
        return true;
      } catch (MetadataException e) {
        Log.LOG.debug("no metadata server at {}: {}", metadata.host(), e.getMessage());
        return false;
      }
    }
    return dmiSaysGoogle();
  }

  private boolean dmiSaysGoogle() {
    if (dmiProductName == null) {
      return false;
    }
    try {
      String name = Files.readString(dmiProductName, StandardCharsets.UTF_8).trim();
      return name.startsWith("Google");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private Optional<String> metadataValue(String path) {
    synchronized (metadataValues) {
      Optional<String> cached = metadataValues.get(path);
      if (cached != null) {
        return cached;
      }
    }
    if (!metadataAllowed()) {
      return Optional.empty();
    }
    try {
      Optional<String> v = metadata.get(path).map(String::trim).filter(s -> !s.isEmpty());
      synchronized (metadataValues) {
        metadataValues.put(path, v);
      }
      return v;
    } catch (MetadataException e) {
      Log.LOG.debug("metadata {} unavailable: {}", path, e.getMessage());
      return Optional.empty(); // not cached: the server may be back next time
    }
  }

  /**
   * Like {@link #metadataValue} but bounded by {@code deadlineNanos} ({@link System#nanoTime()}): connect
   * and read timeouts are capped by the time left, and a failure is thrown (not cached) so the caller can
   * tell a transient failure from an absent value.
   */
  private Optional<String> metadataValueBefore(String path, long deadlineNanos) throws MetadataException {
    synchronized (metadataValues) {
      Optional<String> cached = metadataValues.get(path);
      if (cached != null) {
        return cached;
      }
    }
    if (!metadataAllowed()) {
      return Optional.empty();
    }
    Duration left = Duration.ofNanos(deadlineNanos - System.nanoTime());
    if (left.toMillis() < 1) {
      throw new MetadataException("metadata server " + metadata.host() + ": no time left to read " + path, -1);
    }
    Optional<String> v = metadata.get(path, min(metadataConnectTimeout, left), min(metadataReadTimeout, left))
        .map(String::trim).filter(s -> !s.isEmpty());
    synchronized (metadataValues) {
      metadataValues.put(path, v);
    }
    return v;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static String lastSegment(String s) {
    int slash = s.lastIndexOf('/');
    return slash >= 0 ? s.substring(slash + 1) : s;
  }

  @Override
  public String toString() {
    Platform p = platform.peek();
    return "PrivateEgress{platform=" + (p == null ? "(not detected yet)" : p) + ", " + config + "}";
  }

  /** Thread-safe memoization that never runs the supplier twice and never holds a lock while peeking. */
  private static final class Lazy<T> {
    private final Supplier<T> supplier;
    private volatile T value;

    Lazy(Supplier<T> supplier) {
      this.supplier = supplier;
    }

    T get() {
      T v = value;
      if (v == null) {
        synchronized (this) {
          v = value;
          if (v == null) {
            v = Objects.requireNonNull(supplier.get());
            value = v;
          }
        }
      }
      return v;
    }

    T peek() {
      return value;
    }
  }

  /**
   * Builds a {@link PrivateEgress}. Every configuration variable has a setter of the same meaning;
   * setters win over system properties, which win over the environment map. {@link #build()}
   * validates everything and throws {@link ConfigurationException} naming the variable.
   */
  public static final class Builder {
    private final Map<String, String> explicit = new LinkedHashMap<>();
    private final List<String> hosts = new ArrayList<>();
    private final List<String> audiences = new ArrayList<>();
    private Map<String, String> env = Map.of();
    private Map<String, String> properties = Map.of();
    private Clock clock = Clock.systemUTC();
    private Instant startedAt;
    private EgressListener listener = EgressListener.NONE;
    private RetryPolicy retryPolicy = RetryPolicy.defaults();
    private RetryBudget retryBudget;
    private Supplier<RetryBudget> retryBudgetFactory = RetryBudget::defaults;
    private TokenProvider tokenProvider;
    private com.google.auth.oauth2.GoogleCredentials credentials;
    private TokenOptions tokenOptions = TokenOptions.defaults();
    private Duration metadataConnectTimeout = Duration.ofMillis(500);
    private Duration metadataReadTimeout = Duration.ofSeconds(3);
    private Path dmiProductName;
    private String adminApiBaseUrl;

    private Builder() {}

    /** The environment variables to read (e.g. {@code System.getenv()} or a test map). Copied. */
    public Builder environment(Map<String, String> env) {
      this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
      return this;
    }

    /** System properties that override the environment ({@code private.egress.mode}, ...). Copied. */
    public Builder systemProperties(Properties properties) {
      Map<String, String> m = new HashMap<>();
      for (String name : properties.stringPropertyNames()) {
        m.put(name, properties.getProperty(name));
      }
      this.properties = Map.copyOf(m);
      return this;
    }

    /** System properties as a map; see {@link #systemProperties(Properties)}. */
    public Builder systemProperties(Map<String, String> properties) {
      this.properties = Map.copyOf(properties);
      return this;
    }

    /** The clock for token expiry, startup grace and timing; {@link Clock#systemUTC()} by default. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** When the process started, for the startup grace window; defaults to the build time. */
    public Builder startedAt(Instant startedAt) {
      this.startedAt = Objects.requireNonNull(startedAt, "startedAt");
      return this;
    }

    /**
     * Same as {@code PRIVATE_EGRESS_MODE}: {@link EgressMode#DIRECT_VPC}, {@link EgressMode#CONNECTOR} or
     * {@link EgressMode#NONE} declare the path; {@link EgressMode#UNKNOWN} means {@code auto} (detect).
     *
     * @throws IllegalArgumentException for {@link EgressMode#VPC}, which only detection reports
     */
    public Builder mode(EgressMode mode) {
      Objects.requireNonNull(mode, "mode");
      if (mode == EgressMode.VPC) {
        throw new IllegalArgumentException("mode VPC is a detection result, not a declaration; declare "
            + "DIRECT_VPC, CONNECTOR or NONE, or UNKNOWN to detect");
      }
      return put("PRIVATE_EGRESS_MODE", mode == EgressMode.UNKNOWN ? "auto" : mode.id());
    }

    /**
     * Same as {@code PRIVATE_EGRESS_SCOPE}.
     *
     * @throws IllegalArgumentException for {@link EgressScope#UNKNOWN}, which only detection reports
     */
    public Builder scope(EgressScope scope) {
      Objects.requireNonNull(scope, "scope");
      if (scope == EgressScope.UNKNOWN) {
        throw new IllegalArgumentException("scope UNKNOWN is a detection result; declare ALL_TRAFFIC or "
            + "PRIVATE_RANGES_ONLY, or leave the scope unset");
      }
      return put("PRIVATE_EGRESS_SCOPE", scope.id());
    }

    /** Same as {@code PRIVATE_EGRESS_LOOKUP}. */
    public Builder lookup(LookupMode lookup) {
      return put("PRIVATE_EGRESS_LOOKUP", Objects.requireNonNull(lookup, "lookup").id());
    }

    /** Adds one {@code PRIVATE_EGRESS_HOSTS} entry: resolve {@code host} to the IP literal {@code ip}. */
    public Builder host(String host, String ip) {
      hosts.add(host + "=" + ip);
      return this;
    }

    /** Same as {@code PRIVATE_EGRESS_HOSTS} ({@code host=ip[,host=ip...]}); replaces earlier values. */
    public Builder hosts(String hostsSpec) {
      hosts.clear();
      hosts.add(hostsSpec);
      return this;
    }

    /** Adds one {@code PRIVATE_EGRESS_AUDIENCES} entry; {@code host} may be {@code *.suffix}. */
    public Builder audience(String host, String audience) {
      audiences.add(host + "=" + audience);
      return this;
    }

    /** Same as {@code PRIVATE_EGRESS_AUDIENCES}; replaces earlier values. */
    public Builder audiences(String audiencesSpec) {
      audiences.clear();
      audiences.add(audiencesSpec);
      return this;
    }

    /** Same as {@code PRIVATE_EGRESS_TOKEN_HEADER}. */
    public Builder tokenHeader(String header) {
      return put("PRIVATE_EGRESS_TOKEN_HEADER", header);
    }

    /** Same as {@code PRIVATE_EGRESS_STARTUP_GRACE}. */
    public Builder startupGrace(Duration grace) {
      return put("PRIVATE_EGRESS_STARTUP_GRACE", grace.toString());
    }

    /** Same as {@code REDIS_URL}. */
    public Builder redisUrl(String url) {
      return put("REDIS_URL", url);
    }

    /** Same as {@code REDISHOST}. */
    public Builder redisHost(String host) {
      return put("REDISHOST", host);
    }

    /** Same as {@code REDISPORT}. */
    public Builder redisPort(int port) {
      return put("REDISPORT", Integer.toString(port));
    }

    /** Same as {@code REDIS_AUTH} (secret: never shown). */
    public Builder redisAuth(String auth) {
      return put("REDIS_AUTH", auth);
    }

    /** Same as {@code REDIS_TLS_CA}. */
    public Builder redisTlsCa(Path pemFile) {
      return put("REDIS_TLS_CA", pemFile.toString());
    }

    /** Same as {@code REDIS_IAM_AUTH}. */
    public Builder redisIamAuth(boolean iam) {
      return put("REDIS_IAM_AUTH", Boolean.toString(iam));
    }

    /** Same as {@code REDIS_CLUSTER}. */
    public Builder redisCluster(boolean cluster) {
      return put("REDIS_CLUSTER", Boolean.toString(cluster));
    }

    /** Same as {@code GCE_METADATA_HOST}: {@code host[:port]} of the metadata server. */
    public Builder metadataHost(String hostPort) {
      return put("GCE_METADATA_HOST", hostPort);
    }

    /** Same as {@code NO_GCE_CHECK=true}. */
    public Builder noGceCheck(boolean noCheck) {
      return put("NO_GCE_CHECK", Boolean.toString(noCheck));
    }

    /** Metadata-server timeouts (defaults 500 ms connect, 3 s read). */
    public Builder metadataTimeouts(Duration connect, Duration read) {
      this.metadataConnectTimeout = Objects.requireNonNull(connect, "connect");
      this.metadataReadTimeout = Objects.requireNonNull(read, "read");
      return this;
    }

    /** Receives token, retry, budget, connect and Redis auth events. */
    public Builder listener(EgressListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** Retry attempts, backoff and deadline for the HTTP and Redis clients. */
    public Builder retryPolicy(RetryPolicy policy) {
      this.retryPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * One retry budget shared by every target of this instance (tests, or a single process-wide cap).
     * Without it each target gets its own from {@link #retryBudgets(Supplier)}.
     */
    public Builder retryBudget(RetryBudget budget) {
      this.retryBudget = Objects.requireNonNull(budget, "budget");
      return this;
    }

    /** Makes the budget each target gets; {@link RetryBudget#defaults()} (100 tokens, 0.1 back) otherwise. */
    public Builder retryBudgets(Supplier<RetryBudget> perTarget) {
      this.retryBudgetFactory = Objects.requireNonNull(perTarget, "perTarget");
      this.retryBudget = null;
      return this;
    }

    /** Replaces the token machinery entirely (tests, custom identity systems). */
    public Builder tokenProvider(TokenProvider provider) {
      this.tokenProvider = Objects.requireNonNull(provider, "provider");
      return this;
    }

    /**
     * Credentials to mint tokens with (a service-account key, impersonated credentials, ...) instead of
     * the metadata server.
     */
    public Builder credentials(com.google.auth.oauth2.GoogleCredentials credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /**
     * How tokens are cached, refreshed and fetched (refresh margin, retries, ID token format, opt-in
     * refresh-ahead executor); {@link TokenOptions#defaults()} otherwise.
     */
    public Builder tokenOptions(TokenOptions options) {
      this.tokenOptions = Objects.requireNonNull(options, "options");
      return this;
    }

    /** A file whose content names the machine's product ("Google Compute Engine" on GCE); off by default. */
    public Builder dmiProductName(Path file) {
      this.dmiProductName = file;
      return this;
    }

    /**
     * Sends admin-API requests (Cloud Run, App Engine, Cloud Functions) to {@code baseUrl} instead of
     * Google's endpoints, e.g. a local test server {@code http://127.0.0.1:8123}.
     */
    public Builder adminApiBaseUrl(String baseUrl) {
      String u = Objects.requireNonNull(baseUrl, "baseUrl");
      if (!u.toLowerCase(Locale.ROOT).startsWith("http://") && !u.toLowerCase(Locale.ROOT).startsWith("https://")) {
        throw new ConfigurationException("adminApiBaseUrl", u, "expected an http:// or https:// base URL");
      }
      this.adminApiBaseUrl = u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
      return this;
    }

    private Builder put(String variable, String value) {
      explicit.put(variable, Objects.requireNonNull(value, variable));
      return this;
    }

    /**
     * Validates everything and builds the instance. No network I/O.
     *
     * @throws ConfigurationException naming the first invalid variable
     */
    public PrivateEgress build() {
      Map<String, String> all = new LinkedHashMap<>(explicit);
      if (!hosts.isEmpty()) {
        all.put("PRIVATE_EGRESS_HOSTS", String.join(",", hosts));
      }
      if (!audiences.isEmpty()) {
        all.put("PRIVATE_EGRESS_AUDIENCES", String.join(",", audiences));
      }
      EgressConfig config = ConfigParser.parse(new ConfigSource(all, properties, env));
      return new PrivateEgress(this, config);
    }
  }

  /** The injected environment, read-only, with a {@code toString()} that shows no secret. */
  private static final class Environment extends java.util.AbstractMap<String, String> {
    private final Map<String, String> values;

    Environment(Map<String, String> values) {
      this.values = values;
    }

    @Override
    public String get(Object key) {
      return values.get(key);
    }

    @Override
    public boolean containsKey(Object key) {
      return values.containsKey(key);
    }

    @Override
    public int size() {
      return values.size();
    }

    @Override
    public Set<Entry<String, String>> entrySet() {
      return values.entrySet();
    }

    @Override
    public String toString() {
      StringBuilder b = new StringBuilder("{");
      new java.util.TreeMap<>(values).forEach((k, v) -> {
        b.append(b.length() == 1 ? "" : ", ").append(k).append('=').append(shown(k, v));
      });
      return b.append('}').toString();
    }

    private static String shown(String key, String value) {
      String k = key.toUpperCase(java.util.Locale.ROOT);
      if (k.contains("AUTH") || k.contains("PASSWORD") || k.contains("SECRET") || k.endsWith("KEY")
          || (k.contains("TOKEN") && !k.endsWith("_HEADER"))) {
        return value.isEmpty() ? "" : "****";
      }
      return value.contains("://") ? RedisUrlParser.masked(value) : value; // e.g. REDIS_URL's password
    }
  }
}
