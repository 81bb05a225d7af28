package dev.privateegress.internal;

import dev.privateegress.CheckKind;
import dev.privateegress.CheckResult;
import dev.privateegress.DoctorReport;
import dev.privateegress.EgressInfo;
import dev.privateegress.Platform;
import dev.privateegress.Target;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Runs {@code PrivateEgress.doctor}: platform, credentials and egress detection first (so that every
 * check's advice can use them), then each target's checks, then the egress verdict again, now refined by
 * what the TCP checks proved (a private address that answered means VPC egress).
 */
public final class Doctor {
  public static final Duration CHECK_TIMEOUT = Duration.ofSeconds(3);

  /** Runs the checks of one target; the facade picks the checker. */
  public interface Checks {
    /** The checks of the target's checker, in order, for a full diagnosis. */
    List<CheckResult> diagnose(Target target, Duration timeout);

    /** The checks of the target's checker for a readiness poll, which only needs "usable or not". */
    List<CheckResult> poll(Target target, Duration timeout);

    /** The token check, when the target receives a token. */
    Optional<CheckResult> token(Target target);

    /** The {@code egress-ip} check, when {@code PRIVATE_EGRESS_IP_ECHO} is configured. */
    default Optional<CheckResult> egressIp(Duration timeout) {
      return Optional.empty();
    }
  }

  private Doctor() {}

  public static DoctorReport run(EgressRuntime runtime, List<Target> targets, Checks checks) {
    Platform platform = runtime.platform();
    Optional<String> project = runtime.metadata().lenient(MetadataFacts::project);
    Optional<String> region = runtime.metadata().lenient(MetadataFacts::region);
    String credentials = GoogleTokenProvider.describe(runtime);
    runtime.egress(); // detection before the checks, so their advice knows the mode and scope
    List<CheckResult> results = new ArrayList<>();
    for (Target t : targets) {
      results.addAll(withToken(checks, t, checks.diagnose(t, CHECK_TIMEOUT)));
    }
    checks.egressIp(CHECK_TIMEOUT).ifPresent(results::add); // after the targets: their probes sharpen its advice
    EgressInfo info = runtime.egress(); // now with probe evidence from the TCP checks
    return new DoctorReport(platform, project, region, info, results, credentials);
  }

  /**
   * Adds the token check when the checker did not run one and the target receives a token: after the
   * network checks and before the protocol checks (http, redis). It runs even when the network failed:
   * minting does not depend on the target, and a missing credential is worth knowing at the same time.
   */
  static List<CheckResult> withToken(Checks checks, Target target, List<CheckResult> results) {
    boolean hasToken = results.stream().anyMatch(c -> c.check() == CheckKind.TOKEN);
    if (hasToken) {
      return results;
    }
    Optional<CheckResult> token = checks.token(target);
    if (token.isEmpty()) {
      return results;
    }
    List<CheckResult> out = new ArrayList<>(results.size() + 1);
    int at = results.size();
    for (int i = 0; i < results.size(); i++) {
      CheckKind k = results.get(i).check();
      if (k == CheckKind.HTTP || k == CheckKind.REDIS) {
        at = i;
        break;
      }
    }
    out.addAll(results.subList(0, at));
    out.add(token.get());
    out.addAll(results.subList(at, results.size()));
    return out;
  }
}
