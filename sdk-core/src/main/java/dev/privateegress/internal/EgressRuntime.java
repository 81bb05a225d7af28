package dev.privateegress.internal;

import dev.privateegress.EgressConfig;
import dev.privateegress.EgressInfo;
import dev.privateegress.EgressListener;
import dev.privateegress.Platform;
import dev.privateegress.RetryBudget;
import dev.privateegress.RetryPolicy;
import dev.privateegress.TokenProvider;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The wiring of one {@code PrivateEgress}: configuration, environment, clock, listener, retry policy and
 * per-target budgets, metadata facts, platform, tokens, egress detection and network checks. {@code
 * PrivateEgressBuilder} builds it and {@code PrivateEgress} is its public face, delegating to it; the machinery
 * of this package is handed the runtime, never the face, so it never calls back into the public API.
 *
 * <p>Other modules do not see it: sdk-http and sdk-redis take a {@code PrivateEgress} and read it through its
 * public methods (config, retry policy and budgets, startup grace, listener, tokens, observation registry).
 *
 * <p>Constructing it does no I/O; the platform and the token provider are made on first use.
 */
public final class EgressRuntime {
  /** Distinct targets that get a retry budget of their own; past it the rest share one. */
  public static final int MAX_TARGETS = 256;

  private final EgressConfig config;
  private final Map<String, String> env;
  private final Clock clock;
  private final Instant startedAt;
  private final EgressListener listener;
  private final Object observationRegistry;
  private final RetryPolicy retryPolicy;
  private final Supplier<RetryBudget> budgetFactory;
  private final RetryBudget sharedBudget;
  private final RetryBudget overflowBudget;
  private final ConcurrentHashMap<String, RetryBudget> budgets = new ConcurrentHashMap<>();
  private final MetadataClient metadataClient;
  private final MetadataFacts metadata;
  private final Function<EgressRuntime, TokenProvider> tokenFactory;
  private volatile TokenProvider tokens;
  private final EgressDetector detector;
  private final NetworkChecks network;

  /**
   * @param env the environment (copied; its {@code toString()} will mask secrets)
   * @param listener the user's listener (wrapped here so that its exceptions never reach the SDK)
   * @param observationRegistry a Micrometer {@code ObservationRegistry}, or null
   * @param sharedBudget one budget for every target, or null for one per target from {@code budgetFactory}
   * @param dmiProductName the file naming the machine's product, or null
   * @param adminApiBaseUrl where admin-API requests go instead of Google's endpoints, or null
   * @param tokens makes the token provider on first use, given this runtime
   */
  public EgressRuntime(EgressConfig config, Map<String, String> env, Clock clock, Instant startedAt,
      EgressListener listener, Object observationRegistry, RetryPolicy retryPolicy, RetryBudget sharedBudget,
      Supplier<RetryBudget> budgetFactory, MetadataClient metadataClient, Path dmiProductName,
      String adminApiBaseUrl, Function<EgressRuntime, TokenProvider> tokens) {
    this.config = config;
    this.env = new MaskedEnvironment(env);
    this.clock = clock;
    this.startedAt = startedAt;
    this.listener = SafeListener.wrap(listener);
    this.observationRegistry = observationRegistry;
    this.retryPolicy = retryPolicy;
    this.budgetFactory = budgetFactory;
    this.sharedBudget = sharedBudget;
    this.overflowBudget = sharedBudget != null ? sharedBudget : newBudget();
    this.metadataClient = metadataClient;
    this.metadata = new MetadataFacts(metadataClient, this.env, config.metadataHost().isPresent(),
        config.noGceCheck(), dmiProductName);
    this.tokenFactory = tokens;
    this.detector = new EgressDetector(this, adminApiBaseUrl, EgressDetector.DEFAULT_BUDGET);
    this.network = new NetworkChecks(this, detector);
  }

  /** The validated configuration. */
  public EgressConfig config() {
    return config;
  }

  /** The environment (read-only; its {@code toString()} masks secrets). */
  public Map<String, String> environment() {
    return env;
  }

  public Clock clock() {
    return clock;
  }

  /** When the instance was created; the startup grace window counts from here. */
  public Instant startedAt() {
    return startedAt;
  }

  /** The listener, wrapped so that its exceptions never reach the SDK. */
  public EgressListener listener() {
    return listener;
  }

  /** The Micrometer {@code ObservationRegistry} to trace with, or null (Micrometer then never loaded). */
  public Object observationRegistry() {
    return observationRegistry;
  }

  public RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /**
   * The retry budget of {@code target}, created on first use: one per target, as Envoy keeps one per upstream
   * cluster, so an outage of one target never spends the retries of another. Past {@link #MAX_TARGETS}
   * targets the rest share one, so memory does not grow with every host name a caller invents.
   */
  public RetryBudget retryBudget(String target) {
    if (sharedBudget != null) {
      return sharedBudget;
    }
    RetryBudget b = budgets.get(target);
    if (b != null) {
      return b;
    }
    if (budgets.size() >= MAX_TARGETS) {
      return overflowBudget;
    }
    return budgets.computeIfAbsent(target, t -> newBudget());
  }

  private RetryBudget newBudget() {
    return Objects.requireNonNull(budgetFactory.get(), "the retry budget factory returned null");
  }

  /** The metadata server client (tokens, facts). */
  public MetadataClient metadataClient() {
    return metadataClient;
  }

  /** Project, region and service account, from the variables or the metadata server. */
  public MetadataFacts metadata() {
    return metadata;
  }

  /** The service account's email, or empty when unknown (metadata failures read as unknown). */
  public Optional<String> serviceAccountEmail() {
    return metadata.lenient(MetadataFacts::serviceAccountEmail);
  }

  /** The platform, detected on first call. */
  public Platform platform() {
    return metadata.platform();
  }

  /** The platform if already detected, else null; never detects. */
  public Platform detectedPlatform() {
    return metadata.detectedPlatform();
  }

  /** The token provider, created on first call. */
  public TokenProvider tokens() {
    TokenProvider t = tokens;
    if (t == null) {
      synchronized (this) {
        t = tokens;
        if (t == null) {
          t = Objects.requireNonNull(tokenFactory.apply(this), "token provider");
          tokens = t;
        }
      }
    }
    return t;
  }

  /** The egress verdict, detected on first call and cached. */
  public EgressInfo egress() {
    return detector.detect();
  }

  /** What is known about egress without I/O. */
  public EgressInfo knownEgress() {
    return detector.known();
  }

  /** True while connect failures deserve extra attempts (startup grace); never does I/O. */
  public boolean inStartupGrace() {
    return detector.inStartupGrace(startedAt, metadata.detectedPlatform());
  }

  /** The DNS, TCP, TLS, token and egress-ip checks. */
  public NetworkChecks network() {
    return network;
  }

  /**
   * An environment map, read-only, whose {@code toString()} shows no secret: {@code REDIS_AUTH}, variables
   * whose name says they hold a password, secret, key or token, and the user info of URL values.
   */
  private static final class MaskedEnvironment extends AbstractMap<String, String> {
    private final Map<String, String> values;

    MaskedEnvironment(Map<String, String> values) {
      this.values = Map.copyOf(values);
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
      new TreeMap<>(values).forEach((k, v) ->
          b.append(b.length() == 1 ? "" : ", ").append(Util.escapeControls(k)).append('=').append(shown(k, v)));
      return b.append('}').toString();
    }

    private static String shown(String key, String value) {
      String k = key.toUpperCase(Locale.ROOT);
      if (k.contains("AUTH") || k.contains("PASSWORD") || k.contains("SECRET") || k.endsWith("KEY")
          || (k.contains("TOKEN") && !k.endsWith("_HEADER"))) {
        return value.isEmpty() ? "" : "****";
      }
      return Util.escapeControls(value.contains("://") ? RedisUrlParser.masked(value) : value);
    }
  }
}
