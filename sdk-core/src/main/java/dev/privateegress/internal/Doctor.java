package dev.privateegress.internal;

import dev.privateegress.CheckKind;
import dev.privateegress.CheckResult;
import dev.privateegress.DoctorReport;
import dev.privateegress.EgressInfo;
import dev.privateegress.NetworkChecks;
import dev.privateegress.Platform;
import dev.privateegress.PrivateEgress;
import dev.privateegress.Target;
import dev.privateegress.TargetChecker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link PrivateEgress#doctor}: platform, credentials and egress detection first (so that every
 * check's advice can use them), then each target's checks, then the egress verdict again, now refined by
 * what the TCP checks proved (a private address that answered means VPC egress).
 */
public final class Doctor {
  private static final Logger log = LoggerFactory.getLogger(Doctor.class);

  static final Duration CHECK_TIMEOUT = Duration.ofSeconds(3);

  private Doctor() {}

  public static DoctorReport run(PrivateEgress egress, List<Target> targets) {
    Platform platform = egress.platform();
    Optional<String> project = egress.project();
    Optional<String> region = egress.region();
    String credentials = CredentialsInfo.describe(egress);
    egress.egress(); // detection before the checks, so their advice knows the mode and scope
    List<CheckResult> checks = new ArrayList<>();
    for (Target t : targets) {
      checks.addAll(withToken(egress, t, checkerFor(t).check(egress, t, TargetChecker.Purpose.DOCTOR, CHECK_TIMEOUT)));
    }
    EgressInfo info = egress.egress(); // now with probe evidence from the TCP checks
    return new DoctorReport(platform, project, region, info, checks, credentials);
  }

  /**
   * Adds the token check when the checker did not run one and the target receives a token: after the
   * network checks and before the protocol checks (http, redis). It runs even when the network failed:
   * minting does not depend on the target, and a missing credential is worth knowing at the same time.
   */
  static List<CheckResult> withToken(PrivateEgress egress, Target target, List<CheckResult> results) {
    boolean hasToken = results.stream().anyMatch(c -> c.check() == CheckKind.TOKEN);
    if (hasToken) {
      return results;
    }
    Optional<CheckResult> token = NetworkChecks.token(egress, target);
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

  /** The first checker on the class path that handles the target's scheme; core's as the fallback. */
  static TargetChecker checkerFor(Target target) {
    try {
      for (TargetChecker c : ServiceLoader.load(TargetChecker.class, Doctor.class.getClassLoader())) {
        if (!(c instanceof CoreChecker) && c.schemes().contains(target.scheme())) {
          return c;
        }
      }
    } catch (ServiceConfigurationError e) {
      log.warn("a TargetChecker on the class path could not be loaded, using core's checks: {}", e.toString());
    }
    return new CoreChecker();
  }
}
