package dev.privateegress.internal;

import dev.privateegress.EgressInfo;
import dev.privateegress.EgressMode;
import dev.privateegress.EgressScope;
import dev.privateegress.Evidence;
import dev.privateegress.EvidenceSource;
import dev.privateegress.Platform;
import dev.privateegress.Token;
import dev.privateegress.TokenException;
import dev.privateegress.internal.MetadataClient.MetadataException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the egress verdict from evidence, strongest first:
 *
 * <ol>
 *   <li>declared {@code PRIVATE_EGRESS_MODE} / {@code PRIVATE_EGRESS_SCOPE}: authoritative; a declared
 *       mode ends detection, a declared scope alone is combined with the detected mode;
 *   <li>the platform's admin API ({@link EgressLookup}), unless {@code PRIVATE_EGRESS_LOOKUP=off};
 *   <li>probes: a private address that accepted a TCP connection proves VPC egress of some kind ({@code
 *       vpc}); recorded by {@link #recordProbe} and laid over an {@code unknown} verdict;
 *   <li>the platform: {@code local} &rarr; none; GCE, GKE and App Engine flexible run on VMs inside a VPC
 *       network &rarr; vpc with all traffic in it; serverless platforms &rarr; unknown.
 * </ol>
 *
 * <p>Lazy (nothing happens until {@link #detect()}), cached, and bounded by one deadline ({@link
 * #DEFAULT_BUDGET}) for the whole detection: the project and region metadata reads get connect and read
 * timeouts capped by the time left; the access token is fetched on a short-lived daemon thread that the
 * caller waits on for the time left only (a {@link dev.privateegress.TokenProvider} has no deadline
 * parameter, and the SDK's own token deadline is longer than the budget). When the budget runs out first,
 * that thread finishes on its own within the token deadline and leaves the token in the provider's cache
 * for the next detection; this detection ends at once as {@code unknown} with retry. Each admin-API read is
 * capped by the time left. A verdict built on a transient failure (timeout, unreachable API, 5xx, no token) is kept for
 * {@link #RETRY_AFTER} and then looked up again; every other verdict is kept for the life of the process,
 * since an instance's egress settings cannot change while it runs.
 */
public final class EgressDetector {
  /** Initialised on first log call: slf4j start-up must stay off the fromEnvironment() path. */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(EgressDetector.class);
  }

  /** Time allowed for one detection: access token plus admin-API reads. */
  public static final Duration DEFAULT_BUDGET = Duration.ofSeconds(5);
  /** How long a verdict built on a transient failure is kept. */
  public static final Duration RETRY_AFTER = Duration.ofMinutes(1);

  private final EgressRuntime egress;
  private final EgressLookup lookup;
  private final Duration budget;
  private volatile Cached detected;
  private volatile Evidence probe;

  private record Cached(EgressInfo info, Instant expires) {}

  /**
   * @param egress the runtime whose configuration, platform, metadata facts and tokens detection reads
   * @param adminApiBaseUrl where admin-API requests go instead of Google's endpoints, or null
   * @param budget time allowed for one whole detection
   */
  public EgressDetector(EgressRuntime egress, String adminApiBaseUrl, Duration budget) {
    this.egress = egress;
    this.lookup = new EgressLookup(new AdminApi(adminApiBaseUrl));
    this.budget = budget;
  }

  /** Full detection on first call (and after a transient failure expired); the cached verdict otherwise. */
  public EgressInfo detect() {
    Cached c = detected;
    if (c == null || expired(c)) {
      synchronized (this) {
        c = detected;
        if (c == null || expired(c)) {
          c = detectNow();
          detected = c;
          Log.LOG.debug("{} ({})", c.info(), c.expires() == null ? "kept" : "kept until " + c.expires());
        }
      }
    }
    return withProbe(c.info());
  }

  /**
   * True within {@code PRIVATE_EGRESS_STARTUP_GRACE} of {@code startedAt} when egress is (or may be) Direct
   * VPC on Cloud Run. No I/O: {@code detectedPlatform} is the platform if already detected, else null.
   */
  public boolean inStartupGrace(Instant startedAt, Platform detectedPlatform) {
    Duration grace = egress.config().startupGrace();
    if (grace.isZero() || !Duration.between(startedAt, egress.clock().instant()).minus(grace).isNegative()) {
      return false;
    }
    EgressMode mode = known().mode();
    if (mode == EgressMode.DIRECT_VPC) {
      return true;
    }
    Platform p = detectedPlatform != null ? detectedPlatform : MetadataFacts.platformFromEnvironment(egress.environment());
    return p != null && p.onCloudRun() && (mode == EgressMode.UNKNOWN || mode == EgressMode.VPC);
  }

  /** The cached verdict, or what configuration and the environment say, with no I/O at all. */
  public EgressInfo known() {
    Cached c = detected;
    if (c != null) {
      return withProbe(c.info());
    }
    Platform p = MetadataFacts.platformFromEnvironment(egress.environment());
    // Without runtime variables and without I/O, the best guess is a developer machine.
    return withProbe(fromConfigAndPlatform(p == null ? Platform.LOCAL : p, new ArrayList<>()));
  }

  /**
   * Records that a TCP connection to {@code address} (a private address) succeeded. The first such probe
   * upgrades an {@code unknown} verdict to {@code vpc} (source probe): on a serverless runtime, private
   * addresses are reachable only through a connector or Direct VPC, and an instance's egress settings do
   * not change while it runs, so the proof stays valid. Ignored on the {@code local} platform, where a
   * private address is just the developer's LAN. No I/O.
   */
  public void recordProbe(String host, InetSocketAddress address) {
    if (probe != null) {
      return;
    }
    if (MetadataFacts.platformFromEnvironment(egress.environment()) == null) {
      // No runtime variables: local (a LAN address proves nothing) or a VM (already vpc by platform).
      return;
    }
    String name = Hosts.hostPort(address.getAddress(), address.getPort());
    probe = new Evidence(EvidenceSource.PROBE, "TCP connect to private address " + name
        + (host.equals(address.getAddress().getHostAddress()) ? "" : " (" + host + ")")
        + " succeeded: traffic to private ranges enters a VPC");
  }

  private boolean expired(Cached c) {
    return c.expires != null && !egress.clock().instant().isBefore(c.expires);
  }

  private EgressInfo withProbe(EgressInfo info) {
    Evidence p = probe;
    if (p == null || info.mode() != EgressMode.UNKNOWN) {
      return info;
    }
    List<Evidence> evidence = new ArrayList<>(info.evidence());
    evidence.add(p);
    return new EgressInfo(EgressMode.VPC, info.scope(), EvidenceSource.PROBE, evidence);
  }

  private Cached detectNow() {
    long deadline = System.nanoTime() + budget.toNanos();
    List<Evidence> evidence = new ArrayList<>();
    Optional<EgressMode> declaredMode = egress.config().declaredMode();
    Optional<EgressScope> declaredScope = egress.config().declaredScope();
    if (declaredMode.isPresent()) {
      return new Cached(fromConfigAndPlatform(null, evidence), null);
    }
    declaredScope.ifPresent(s -> evidence.add(new Evidence(EvidenceSource.CONFIG, "PRIVATE_EGRESS_SCOPE=" + s)));
    Platform platform = egress.platform();
    if (!platform.serverless()) {
      // local, GCE, GKE, App Engine flexible: the platform alone answers, no admin API needed.
      return new Cached(fromConfigAndPlatform(platform, evidence), null);
    }
    if (!egress.config().adminApiLookup()) {
      evidence.add(new Evidence(EvidenceSource.ADMIN_API, "not asked: PRIVATE_EGRESS_LOOKUP=off"));
      return new Cached(fromConfigAndPlatform(platform, evidence), null);
    }
    List<String> metadataFailures = new ArrayList<>(2);
    Optional<String> p = locate(MetadataFacts::project, "project id", deadline, metadataFailures);
    Optional<String> r = locate(MetadataFacts::region, "region", deadline, metadataFailures);
    EgressLookup.Finding f = lookup.lookup(platform, egress.environment(), p, r, () -> accessToken(deadline),
        deadline, !metadataFailures.isEmpty());
    metadataFailures.forEach(m -> evidence.add(new Evidence(EvidenceSource.ADMIN_API, m)));
    evidence.addAll(f.evidence());
    Instant expires = f.retryLater() ? egress.clock().instant().plus(RETRY_AFTER) : null;
    EgressInfo info;
    if (f.mode() == EgressMode.UNKNOWN) {
      info = fromConfigAndPlatform(platform, evidence);
    } else {
      EgressScope scope = declaredScope.orElse(f.scope());
      info = new EgressInfo(f.mode(), scope, EvidenceSource.ADMIN_API, evidence);
    }
    return new Cached(info, expires);
  }

  private Optional<String> locate(MetadataFacts.Fact fact, String what, long deadline, List<String> failures) {
    try {
      return fact.read(egress.metadata(), deadline);
    } catch (MetadataException e) {
      failures.add(what + " not read: " + e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * The access token by {@code deadline}: fetched on a short-lived daemon thread so that a slow token
   * source (retries inside its own, longer deadline) cannot hold detection, and the lock, past the budget.
   */
  private Token accessToken(long deadline) {
    CompletableFuture<Token> result = new CompletableFuture<>();
    Thread fetch = new Thread(() -> {
      try {
        result.complete(egress.tokens().accessToken());
      } catch (Throwable t) {
        result.completeExceptionally(t);
      }
    }, "private-egress-detect-token");
    fetch.setDaemon(true);
    fetch.start();
    long left = deadline - System.nanoTime();
    try {
      return result.get(Math.max(0, left), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new TokenException("no access token within the egress-detection budget of " + budget.toMillis()
          + " ms (the fetch goes on in the background and is cached for the next attempt)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TokenException("interrupted while waiting for the access token", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException re) {
        throw re;
      }
      throw new TokenException("access token fetch failed: " + c, c);
    }
  }

  /**
   * Steps 1 and 4: declared configuration, else what the platform alone implies. {@code platform} null
   * means "not known without I/O".
   */
  private EgressInfo fromConfigAndPlatform(Platform platform, List<Evidence> evidence) {
    EgressMode mode = egress.config().declaredMode().orElse(null);
    EgressScope scope = egress.config().declaredScope().orElse(EgressScope.UNKNOWN);
    boolean scopeRecorded = evidence.stream().anyMatch(e -> e.source() == EvidenceSource.CONFIG);
    if (mode != null) {
      List<Evidence> ev = new ArrayList<>();
      ev.add(new Evidence(EvidenceSource.CONFIG, "PRIVATE_EGRESS_MODE=" + mode));
      if (scope != EgressScope.UNKNOWN) {
        ev.add(new Evidence(EvidenceSource.CONFIG, "PRIVATE_EGRESS_SCOPE=" + scope));
      } else if (mode.reachesVpc()) {
        ev.add(new Evidence(EvidenceSource.CONFIG,
            "PRIVATE_EGRESS_SCOPE not declared: scope unknown (set it to sharpen route warnings)"));
      }
      return new EgressInfo(mode, scope, EvidenceSource.CONFIG, ev);
    }
    if (scope != EgressScope.UNKNOWN && !scopeRecorded) {
      evidence.add(new Evidence(EvidenceSource.CONFIG, "PRIVATE_EGRESS_SCOPE=" + scope));
    }
    if (platform == null) {
      evidence.add(new Evidence(EvidenceSource.PLATFORM, "platform not detected yet: egress unknown"));
      return new EgressInfo(EgressMode.UNKNOWN, scope, EvidenceSource.PLATFORM, evidence);
    }
    switch (platform) {
      case LOCAL -> {
        evidence.add(new Evidence(EvidenceSource.PLATFORM,
            "platform local: no VPC egress (declare PRIVATE_EGRESS_MODE to override)"));
        return new EgressInfo(EgressMode.NONE, scope, EvidenceSource.PLATFORM, evidence);
      }
      case GCE, GKE, APP_ENGINE_FLEX -> {
        evidence.add(new Evidence(EvidenceSource.PLATFORM, "platform " + platform
            + ": the instance is a VM with an interface in a VPC network, so all its traffic is in the VPC"));
        return new EgressInfo(EgressMode.VPC, scope == EgressScope.UNKNOWN ? EgressScope.ALL_TRAFFIC : scope,
            EvidenceSource.PLATFORM, evidence);
      }
      default -> {
        evidence.add(new Evidence(EvidenceSource.PLATFORM, "platform " + platform
            + ": the runtime cannot see its own egress settings; declare PRIVATE_EGRESS_MODE or let the "
            + "admin API be read"));
        return new EgressInfo(EgressMode.UNKNOWN, scope, EvidenceSource.PLATFORM, evidence);
      }
    }
  }
}
