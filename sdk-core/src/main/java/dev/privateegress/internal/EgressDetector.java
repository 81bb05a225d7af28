package dev.privateegress.internal;

import dev.privateegress.EgressInfo;
import dev.privateegress.EgressMode;
import dev.privateegress.EgressScope;
import dev.privateegress.Evidence;
import dev.privateegress.EvidenceSource;
import dev.privateegress.Platform;
import dev.privateegress.PrivateEgress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the egress verdict from evidence, strongest first (DESIGN §6):
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
 * <p>Lazy (nothing happens until {@link #detect()}), cached, and bounded by {@link #DEFAULT_BUDGET} in
 * total. A verdict built on a transient failure (timeout, unreachable API, 5xx, no token) is kept for
 * {@link #RETRY_AFTER} and then looked up again; every other verdict is kept for the life of the process,
 * since an instance's egress settings cannot change while it runs.
 */
public final class EgressDetector {
  private static final Logger log = LoggerFactory.getLogger(EgressDetector.class);

  /** Time allowed for one detection: access token plus admin-API reads. */
  public static final Duration DEFAULT_BUDGET = Duration.ofSeconds(5);
  /** How long a verdict built on a transient failure is kept. */
  public static final Duration RETRY_AFTER = Duration.ofMinutes(1);

  private final PrivateEgress egress;
  private final EgressLookup lookup;
  private final Duration budget;
  private volatile Cached detected;
  private volatile Evidence probe;

  private record Cached(EgressInfo info, Instant expires) {}

  public EgressDetector(PrivateEgress egress, MetadataClient metadata, String adminApiBaseUrl) {
    this(egress, adminApiBaseUrl, DEFAULT_BUDGET);
  }

  /** With an explicit time budget for one detection (tests use a short one). */
  public EgressDetector(PrivateEgress egress, String adminApiBaseUrl, Duration budget) {
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
          log.debug("{} ({})", c.info(), c.expires() == null ? "kept" : "kept until " + c.expires());
        }
      }
    }
    return withProbe(c.info());
  }

  /** The cached verdict, or what configuration and the environment say, with no I/O at all. */
  public EgressInfo known() {
    Cached c = detected;
    if (c != null) {
      return withProbe(c.info());
    }
    Platform p = PlatformDetector.fromEnvironment(egress.environment());
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
    if (PlatformDetector.fromEnvironment(egress.environment()) == null) {
      // No runtime variables: local (a LAN address proves nothing) or a VM (already vpc by platform).
      return;
    }
    String name = address.getAddress().getHostAddress() + ":" + address.getPort();
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
    EgressLookup.Finding f = lookup.lookup(platform, egress.environment(), egress.project(), egress.region(),
        () -> egress.tokens().accessToken(), deadline);
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
