package dev.privateegress;

import com.google.auth.oauth2.GoogleCredentials;
import dev.privateegress.internal.ConfigSource;
import dev.privateegress.internal.EgressRuntime;
import dev.privateegress.internal.GoogleTokenProvider;
import dev.privateegress.internal.MetadataClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Supplier;

/**
 * Builds a {@link PrivateEgress}; obtained from {@link PrivateEgress#builder()}. Every configuration
 * variable has a setter of the same meaning;
 * setters win over system properties, which win over the environment map. {@link #build()}
 * validates everything and throws {@link ConfigurationException} naming the variable.
 */
public final class PrivateEgressBuilder {
  private final Map<String, String> explicit = new LinkedHashMap<>();
  private final List<String> hosts = new ArrayList<>();
  private final List<String> audiences = new ArrayList<>();
  private Map<String, String> env = Map.of();
  private Map<String, String> properties = Map.of();
  private VariableLookup variables = VariableLookup.NONE;
  private Clock clock = Clock.systemUTC();
  private Instant startedAt;
  private EgressListener listener = EgressListener.NONE;
  /** A Micrometer {@code ObservationRegistry}, held as Object so that this class loads without Micrometer. */
  private Object observationRegistry;
  private RetryPolicy retryPolicy = RetryPolicy.defaults();
  private RetryBudget retryBudget;
  private Supplier<RetryBudget> retryBudgetFactory = RetryBudget::defaults;
  private TokenProvider tokenProvider;
  private GoogleCredentials credentials;
  private TokenOptions tokenOptions = TokenOptions.defaults();
  private Duration metadataConnectTimeout = Duration.ofMillis(500);
  private Duration metadataReadTimeout = Duration.ofSeconds(3);
  private Path dmiProductName;
  private String adminApiBaseUrl;

  PrivateEgressBuilder() {}

  /** The environment variables to read (e.g. {@code System.getenv()} or a test map). Copied. */
  public PrivateEgressBuilder environment(Map<String, String> env) {
    this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
    return this;
  }

  /** System properties that override the environment ({@code private.egress.mode}, ...). Copied. */
  public PrivateEgressBuilder systemProperties(Properties properties) {
    Map<String, String> m = new HashMap<>();
    for (String name : properties.stringPropertyNames()) {
      m.put(name, properties.getProperty(name));
    }
    this.properties = Map.copyOf(m);
    return this;
  }

  /**
   * The variables as a framework's configuration holds them (Spring's {@code Environment}); they win over
   * the system properties and the environment map, setters win over them. Errors name the lookup's input.
   */
  public PrivateEgressBuilder variables(VariableLookup lookup) {
    this.variables = Objects.requireNonNull(lookup, "lookup");
    return this;
  }

  /** System properties as a map; see {@link #systemProperties(Properties)}. */
  public PrivateEgressBuilder systemProperties(Map<String, String> properties) {
    this.properties = Map.copyOf(properties);
    return this;
  }

  /** The clock for token expiry, startup grace and timing; {@link Clock#systemUTC()} by default. */
  public PrivateEgressBuilder clock(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    return this;
  }

  /** When the process started, for the startup grace window; defaults to the build time. */
  public PrivateEgressBuilder startedAt(Instant startedAt) {
    this.startedAt = Objects.requireNonNull(startedAt, "startedAt");
    return this;
  }

  /**
   * Same as {@code PRIVATE_EGRESS_MODE}: {@link EgressMode#DIRECT_VPC}, {@link EgressMode#CONNECTOR} or
   * {@link EgressMode#NONE} declare the path; {@link EgressMode#UNKNOWN} means {@code auto} (detect).
   *
   * @throws IllegalArgumentException for {@link EgressMode#VPC}, which only detection reports
   */
  public PrivateEgressBuilder mode(EgressMode mode) {
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
  public PrivateEgressBuilder scope(EgressScope scope) {
    Objects.requireNonNull(scope, "scope");
    if (scope == EgressScope.UNKNOWN) {
      throw new IllegalArgumentException("scope UNKNOWN is a detection result; declare ALL_TRAFFIC or "
          + "PRIVATE_RANGES_ONLY, or leave the scope unset");
    }
    return put("PRIVATE_EGRESS_SCOPE", scope.id());
  }

  /** Same as {@code PRIVATE_EGRESS_LOOKUP}. */
  public PrivateEgressBuilder lookup(LookupMode lookup) {
    return put("PRIVATE_EGRESS_LOOKUP", Objects.requireNonNull(lookup, "lookup").id());
  }

  /** Adds one {@code PRIVATE_EGRESS_HOSTS} entry: resolve {@code host} to the IP literal {@code ip}. */
  public PrivateEgressBuilder host(String host, String ip) {
    hosts.add(host + "=" + ip);
    return this;
  }

  /** Same as {@code PRIVATE_EGRESS_HOSTS} ({@code host=ip[,host=ip...]}); replaces earlier values. */
  public PrivateEgressBuilder hosts(String hostsSpec) {
    hosts.clear();
    hosts.add(hostsSpec);
    return this;
  }

  /** Adds one {@code PRIVATE_EGRESS_AUDIENCES} entry; {@code host} may be {@code *.suffix}. */
  public PrivateEgressBuilder audience(String host, String audience) {
    audiences.add(host + "=" + audience);
    return this;
  }

  /** Same as {@code PRIVATE_EGRESS_AUDIENCES}; replaces earlier values. */
  public PrivateEgressBuilder audiences(String audiencesSpec) {
    audiences.clear();
    audiences.add(audiencesSpec);
    return this;
  }

  /** Same as {@code PRIVATE_EGRESS_TOKEN_HEADER}. */
  public PrivateEgressBuilder tokenHeader(String header) {
    return put("PRIVATE_EGRESS_TOKEN_HEADER", header);
  }

  /** Same as {@code PRIVATE_EGRESS_STARTUP_GRACE}. */
  public PrivateEgressBuilder startupGrace(Duration grace) {
    return put("PRIVATE_EGRESS_STARTUP_GRACE", grace.toString());
  }

  /** Same as {@code PRIVATE_EGRESS_TRACING}: a subset of {@code http,redis,tokens}, or {@code all}, or {@code none}. */
  public PrivateEgressBuilder tracing(String traced) {
    return put("PRIVATE_EGRESS_TRACING", traced);
  }

  /** Same as {@code REDIS_URL}. */
  public PrivateEgressBuilder redisUrl(String url) {
    return put("REDIS_URL", url);
  }

  /** Same as {@code REDISHOST}. */
  public PrivateEgressBuilder redisHost(String host) {
    return put("REDISHOST", host);
  }

  /** Same as {@code REDISPORT}. */
  public PrivateEgressBuilder redisPort(int port) {
    return put("REDISPORT", Integer.toString(port));
  }

  /** Same as {@code REDIS_AUTH} (secret: never shown). */
  public PrivateEgressBuilder redisAuth(String auth) {
    return put("REDIS_AUTH", auth);
  }

  /** Same as {@code REDIS_TLS_CA}. */
  public PrivateEgressBuilder redisTlsCa(Path pemFile) {
    return put("REDIS_TLS_CA", pemFile.toString());
  }

  /** Same as {@code REDIS_IAM_AUTH}. */
  public PrivateEgressBuilder redisIamAuth(boolean iam) {
    return put("REDIS_IAM_AUTH", Boolean.toString(iam));
  }

  /** Same as {@code REDIS_CLUSTER}. */
  public PrivateEgressBuilder redisCluster(boolean cluster) {
    return put("REDIS_CLUSTER", Boolean.toString(cluster));
  }

  /** Same as {@code GCE_METADATA_HOST}: {@code host[:port]} of the metadata server. */
  public PrivateEgressBuilder metadataHost(String hostPort) {
    return put("GCE_METADATA_HOST", hostPort);
  }

  /** Same as {@code PRIVATE_EGRESS_STATIC_IP}: the address allow-lists expect (e.g. the Cloud NAT static address). */
  public PrivateEgressBuilder staticIp(String address) {
    return put("PRIVATE_EGRESS_STATIC_IP", address);
  }

  /** Same as {@code PRIVATE_EGRESS_IP_ECHO}: a URL whose body is the caller's address as the internet sees it. */
  public PrivateEgressBuilder ipEcho(String url) {
    return put("PRIVATE_EGRESS_IP_ECHO", url);
  }

  /** Same as {@code NO_GCE_CHECK=true}. */
  public PrivateEgressBuilder noGceCheck(boolean noCheck) {
    return put("NO_GCE_CHECK", Boolean.toString(noCheck));
  }

  /** Metadata-server timeouts (defaults 500 ms connect, 3 s read). */
  public PrivateEgressBuilder metadataTimeouts(Duration connect, Duration read) {
    this.metadataConnectTimeout = Objects.requireNonNull(connect, "connect");
    this.metadataReadTimeout = Objects.requireNonNull(read, "read");
    return this;
  }

  /** Receives token, retry, budget, connect and Redis auth events. */
  public PrivateEgressBuilder listener(EgressListener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /**
   * Traces HTTP attempts, token fetches and Redis commands through this Micrometer {@code ObservationRegistry}
   * (OpenTelemetry's conventions; see docs/tracing.md). Without it, or with a no-op registry, nothing is traced.
   * Micrometer is an optional dependency: only code that calls this method needs it.
   */
  public PrivateEgressBuilder observationRegistry(io.micrometer.observation.ObservationRegistry registry) {
    this.observationRegistry = Objects.requireNonNull(registry, "registry");
    return this;
  }

  /** Retry attempts, backoff and deadline for the HTTP and Redis clients. */
  public PrivateEgressBuilder retryPolicy(RetryPolicy policy) {
    this.retryPolicy = Objects.requireNonNull(policy, "policy");
    return this;
  }

  /**
   * One retry budget shared by every target of this instance (tests, or a single process-wide cap).
   * Without it each target gets its own from {@link #retryBudgets(Supplier)}.
   */
  public PrivateEgressBuilder retryBudget(RetryBudget budget) {
    this.retryBudget = Objects.requireNonNull(budget, "budget");
    return this;
  }

  /** Makes the budget each target gets; {@link RetryBudget#defaults()} (100 tokens, 0.1 back) otherwise. */
  public PrivateEgressBuilder retryBudgets(Supplier<RetryBudget> perTarget) {
    this.retryBudgetFactory = Objects.requireNonNull(perTarget, "perTarget");
    this.retryBudget = null;
    return this;
  }

  /** Replaces the token machinery entirely (tests, custom identity systems). */
  public PrivateEgressBuilder tokenProvider(TokenProvider provider) {
    this.tokenProvider = Objects.requireNonNull(provider, "provider");
    return this;
  }

  /**
   * Credentials to mint tokens with (a service-account key, impersonated credentials, ...) instead of
   * the metadata server.
   */
  public PrivateEgressBuilder credentials(GoogleCredentials credentials) {
    this.credentials = Objects.requireNonNull(credentials, "credentials");
    return this;
  }

  /**
   * How tokens are cached, refreshed and fetched (refresh margin, retries, ID token format, opt-in
   * refresh-ahead executor); {@link TokenOptions#defaults()} otherwise.
   */
  public PrivateEgressBuilder tokenOptions(TokenOptions options) {
    this.tokenOptions = Objects.requireNonNull(options, "options");
    return this;
  }

  /** A file whose content names the machine's product ("Google Compute Engine" on GCE); off by default. */
  public PrivateEgressBuilder dmiProductName(Path file) {
    this.dmiProductName = file;
    return this;
  }

  /**
   * Sends admin-API requests (Cloud Run, App Engine, Cloud Functions) to {@code baseUrl} instead of
   * Google's endpoints, e.g. a local test server {@code http://127.0.0.1:8123}.
   */
  public PrivateEgressBuilder adminApiBaseUrl(String baseUrl) {
    String u = Objects.requireNonNull(baseUrl, "baseUrl");
    if (!u.toLowerCase(Locale.ROOT).startsWith("http://") && !u.toLowerCase(Locale.ROOT).startsWith("https://")) {
      throw new ConfigurationException("adminApiBaseUrl", u, "expected an http:// or https:// base URL");
    }
    this.adminApiBaseUrl = u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
    return this;
  }

  private PrivateEgressBuilder put(String variable, String value) {
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
    EgressConfig config = ConfigParser.parse(new ConfigSource(all, variables, properties, env));
    MetadataClient metadata = new MetadataClient(config.metadataHost().orElse(MetadataClient.DEFAULT_HOST),
        metadataConnectTimeout, metadataReadTimeout);
    TokenProvider custom = tokenProvider;
    GoogleCredentials creds = credentials;
    TokenOptions options = tokenOptions;
    return new PrivateEgress(new EgressRuntime(config, env, clock, startedAt != null ? startedAt : clock.instant(),
        listener, observationRegistry, retryPolicy, retryBudget, retryBudgetFactory, metadata, dmiProductName,
        adminApiBaseUrl, runtime -> custom != null ? custom : new GoogleTokenProvider(runtime, creds, options)));
  }
}
