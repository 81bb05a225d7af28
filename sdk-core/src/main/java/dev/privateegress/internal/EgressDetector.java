package dev.privateegress.internal;

import dev.privateegress.EgressInfo;
import dev.privateegress.EgressMode;
import dev.privateegress.EgressScope;
import dev.privateegress.Evidence;
import dev.privateegress.EvidenceSource;
import dev.privateegress.Platform;
import dev.privateegress.PrivateEgress;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the egress verdict from evidence: declared configuration, then the admin API, then the
 * platform. Lazy and cached.
 */
public final class EgressDetector {
  private final PrivateEgress egress;
  private final MetadataClient metadata;
  private final String adminApiBaseUrl;
  private volatile EgressInfo detected;

  public EgressDetector(PrivateEgress egress, MetadataClient metadata, String adminApiBaseUrl) {
    this.egress = egress;
    this.metadata = metadata;
    this.adminApiBaseUrl = adminApiBaseUrl;
  }

  /** Full detection, once; later calls return the cached verdict. */
  public EgressInfo detect() {
    EgressInfo d = detected;
    if (d == null) {
      synchronized (this) {
        d = detected;
        if (d == null) {
          d = fromConfigAndPlatform(egress.platform());
          detected = d;
        }
      }
    }
    return d;
  }

  /** The cached verdict, or what configuration (and an already-detected platform) say, with no I/O. */
  public EgressInfo known() {
    EgressInfo d = detected;
    if (d != null) {
      return d;
    }
    Platform p = PlatformDetector.fromEnvironment(egress.environment());
    return fromConfigAndPlatform(p);
  }

  private EgressInfo fromConfigAndPlatform(Platform platform) {
    List<Evidence> evidence = new ArrayList<>();
    EgressMode mode = egress.config().declaredMode().orElse(null);
    EgressScope scope = egress.config().declaredScope().orElse(EgressScope.UNKNOWN);
    if (mode != null) {
      evidence.add(new Evidence(EvidenceSource.CONFIG, "PRIVATE_EGRESS_MODE=" + mode));
    }
    if (scope != EgressScope.UNKNOWN) {
      evidence.add(new Evidence(EvidenceSource.CONFIG, "PRIVATE_EGRESS_SCOPE=" + scope));
    }
    if (mode != null) {
      return new EgressInfo(mode, scope, EvidenceSource.CONFIG, evidence);
    }
    if (platform == null || platform == Platform.LOCAL) {
      evidence.add(new Evidence(EvidenceSource.PLATFORM,
          "platform local: no VPC egress (declare PRIVATE_EGRESS_MODE to override)"));
      return new EgressInfo(EgressMode.NONE, scope, EvidenceSource.PLATFORM, evidence);
    }
    evidence.add(new Evidence(EvidenceSource.PLATFORM, "platform " + platform
        + ": the runtime cannot see its own egress settings"));
    return new EgressInfo(EgressMode.UNKNOWN, scope, EvidenceSource.PLATFORM, evidence);
  }
}
