package dev.privateegress.internal;

import dev.privateegress.CheckResult;
import dev.privateegress.DoctorReport;
import dev.privateegress.EgressInfo;
import dev.privateegress.Platform;
import dev.privateegress.PrivateEgress;
import dev.privateegress.Target;
import dev.privateegress.TargetChecker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/** Runs {@link PrivateEgress#doctor}: platform, egress, then each target's checks. */
public final class Doctor {
  static final Duration CHECK_TIMEOUT = Duration.ofSeconds(3);

  private Doctor() {}

  public static DoctorReport run(PrivateEgress egress, List<Target> targets) {
    Platform platform = egress.platform();
    Optional<String> project = egress.project();
    Optional<String> region = egress.region();
    EgressInfo info = egress.egress();
    List<CheckResult> checks = new ArrayList<>();
    for (Target t : targets) {
      checks.addAll(checkerFor(t).check(egress, t, TargetChecker.Purpose.DOCTOR, CHECK_TIMEOUT));
    }
    return new DoctorReport(platform, project, region, info, checks);
  }

  /** The first checker on the class path that handles the target's scheme; core's as the fallback. */
  static TargetChecker checkerFor(Target target) {
    for (TargetChecker c : ServiceLoader.load(TargetChecker.class, Doctor.class.getClassLoader())) {
      if (!(c instanceof CoreChecker) && c.schemes().contains(target.scheme())) {
        return c;
      }
    }
    return new CoreChecker();
  }
}
