package dev.privateegress;

import dev.privateegress.internal.Doctor;
import dev.privateegress.internal.EgressRuntime;
import dev.privateegress.internal.MetadataFacts;
import dev.privateegress.spi.CheckContext;
import dev.privateegress.spi.Reach;
import dev.privateegress.spi.TargetChecker;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLSocketFactory;

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
  private final EgressRuntime runtime;
  private final TargetChecks checks = new TargetChecks();

  PrivateEgress(EgressRuntime runtime) {
    this.runtime = runtime;
  }

  /** The wiring behind this face (tests reach internals through it). */
  EgressRuntime runtime() {
    return runtime;
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
   * on it counts. Every configuration variable has a setter; {@link PrivateEgressBuilder#environment} supplies the
   * rest as a map.
   */
  public static PrivateEgressBuilder builder() {
    return new PrivateEgressBuilder();
  }

  /** The validated configuration. */
  public EgressConfig config() {
    return runtime.config();
  }

  /**
   * The environment this instance was built from (read-only). Its {@code toString()} masks {@code
   * REDIS_AUTH}, the password in {@code REDIS_URL} and variables whose name says they hold a secret.
   */
  public Map<String, String> environment() {
    return runtime.environment();
  }

  /** The clock used for token expiry, startup grace and timing. */
  public Clock clock() {
    return runtime.clock();
  }

  /** When this instance was created; the startup grace window counts from here. */
  public Instant startedAt() {
    return runtime.startedAt();
  }

  /**
   * The listener that receives SDK events (never null; a no-op by default). Exceptions thrown by the
   * configured listener are caught and logged, never propagated into SDK calls.
   */
  public EgressListener listener() {
    return runtime.listener();
  }

  /**
   * The Micrometer {@code ObservationRegistry} given to the builder, if any. Typed {@code Object} so that this
   * class loads, and is introspected, without Micrometer on the class path.
   */
  public Optional<Object> observationRegistry() {
    return Optional.ofNullable(runtime.observationRegistry());
  }

  /** Attempts, backoff and deadline used by the HTTP and Redis clients. */
  public RetryPolicy retryPolicy() {
    return runtime.retryPolicy();
  }

  /**
   * The retry budget of one target: {@code host:port} for HTTP, the endpoint (or the cluster's seed) for
   * Redis. Each target has its own bucket, created on first use, so an outage of one never spends the
   * retries of another; past {@value EgressRuntime#MAX_TARGETS} targets the rest share one bucket.
   */
  public RetryBudget retryBudget(String target) {
    return runtime.retryBudget(Objects.requireNonNull(target, "target"));
  }

  /** ID and access tokens (cached; created on first use, no network I/O until a token is asked for). */
  public TokenProvider tokens() {
    return runtime.tokens();
  }

  /**
   * The platform, detected on first call and cached. Environment variables decide where they can;
   * otherwise the metadata server is asked only when {@code GCE_METADATA_HOST} is set (a short,
   * bounded request) or the machine's DMI product name says Google. Off Google Cloud with neither,
   * no network call is made.
   */
  public Platform platform() {
    return runtime.platform();
  }

  /** The project id: {@code GOOGLE_CLOUD_PROJECT}, {@code GCLOUD_PROJECT}, {@code GCP_PROJECT}, else the metadata server. */
  public Optional<String> project() {
    return runtime.metadata().lenient(MetadataFacts::project);
  }

  /** The numeric project number from the metadata server (needed by some admin APIs). */
  public Optional<String> projectNumber() {
    return runtime.metadata().lenient(MetadataFacts::projectNumber);
  }

  /**
   * The region: {@code FUNCTION_REGION} (Cloud Functions gen1), else the metadata server's {@code
   * instance/region} (serverless) or the region of {@code instance/zone} (GCE, GKE).
   */
  public Optional<String> region() {
    return runtime.metadata().lenient(MetadataFacts::region);
  }

  /** The runtime service account's email, from the metadata server. */
  public Optional<String> serviceAccountEmail() {
    return runtime.serviceAccountEmail();
  }

  /**
   * The egress verdict, detected on first call and cached: declared configuration, then the platform's
   * admin API (when {@code PRIVATE_EGRESS_LOOKUP=admin-api} and on Google Cloud), then the platform.
   * Time-bounded; never throws for permission or network problems (they become {@code unknown} with
   * evidence). Do not call it on a request path that must not wait; use {@link #knownEgress()}.
   */
  public EgressInfo egress() {
    return runtime.egress();
  }

  /**
   * What is known about egress right now without any I/O: the cached verdict if {@link #egress()} ran,
   * else what configuration and platform alone say (possibly {@code unknown}).
   */
  public EgressInfo knownEgress() {
    return runtime.knownEgress();
  }

  /**
   * True while connect failures deserve extra attempts: within {@code PRIVATE_EGRESS_STARTUP_GRACE} of
   * start, when egress is (or may be) Direct VPC on Cloud Run, which can take a minute or more to
   * carry traffic after an instance starts. Never does I/O.
   */
  public boolean inStartupGrace() {
    return runtime.inStartupGrace();
  }

  /**
   * Runs side-effect-free checks against each target ({@code http(s)://}, {@code redis(s)://}, {@code
   * tcp://host:port}) and explains each failure. Never throws for network problems.
   *
   * @throws ConfigurationException when a target cannot be parsed
   */
  public DoctorReport doctor(Collection<String> targets) {
    return Doctor.run(runtime, parseTargets(targets), checks);
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
    return Doctor.await(parseTargets(targets), timeout, checks);
  }

  /**
   * The DNS, TCP, TLS and token checks of this instance as a {@link TargetChecker} receives them, to test a
   * checker of your own: {@code new MyChecker().check(egress.checkContext(), target, purpose, timeout)}.
   */
  public CheckContext checkContext() {
    return checks;
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

  @Override
  public String toString() {
    Platform p = runtime.detectedPlatform();
    return "PrivateEgress{platform=" + (p == null ? "(not detected yet)" : p) + ", " + runtime.config() + "}";
  }

  /**
   * Runs each target through the first {@link TargetChecker} on the class path that handles its scheme
   * (sdk-http, sdk-redis), else core's DNS, TCP and TLS checks, and gives checkers their {@link
   * CheckContext}.
   */
  private final class TargetChecks implements Doctor.Checks, CheckContext {
    private final Map<String, TargetChecker> byScheme = new ConcurrentHashMap<>();

    @Override
    public List<CheckResult> diagnose(Target target, Duration timeout) {
      return checker(target).check(this, target, TargetChecker.Purpose.DOCTOR, timeout);
    }

    @Override
    public List<CheckResult> poll(Target target, Duration timeout) {
      return checker(target).check(this, target, TargetChecker.Purpose.READINESS, timeout);
    }

    @Override
    public PrivateEgress egress() {
      return PrivateEgress.this;
    }

    @Override
    public Reach reach(Target target, Duration timeout) {
      return runtime.network().reach(target, timeout);
    }

    @Override
    public CheckResult tls(Target target, List<InetAddress> addresses, Duration timeout, SSLSocketFactory factory) {
      return runtime.network().tls(target, addresses, timeout, factory);
    }

    @Override
    public Optional<CheckResult> token(Target target) {
      return runtime.network().token(target);
    }

    @Override
    public Optional<CheckResult> egressIp(Duration timeout) {
      return runtime.network().egressIp(timeout);
    }

    private TargetChecker checker(Target target) {
      return byScheme.computeIfAbsent(target.scheme(), TargetChecks::load);
    }

    private static TargetChecker load(String scheme) {
      try {
        for (TargetChecker c : ServiceLoader.load(TargetChecker.class, PrivateEgress.class.getClassLoader())) {
          if (c.schemes().contains(scheme)) {
            return c;
          }
        }
      } catch (ServiceConfigurationError e) {
        org.slf4j.LoggerFactory.getLogger(PrivateEgress.class)
            .warn("a TargetChecker on the class path could not be loaded, using core's checks: {}", e.toString());
      }
      return new BasicChecker();
    }
  }
}
