package dev.privateegress.internal;

import dev.privateegress.CheckResult;
import dev.privateegress.NotReadyException;
import dev.privateegress.PrivateEgress;
import dev.privateegress.Target;
import dev.privateegress.TargetChecker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Runs {@link PrivateEgress#awaitReady}: polls every target with backoff until all pass or time runs out. */
public final class Readiness {
  private Readiness() {}

  public static List<CheckResult> await(PrivateEgress egress, List<Target> targets, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Random random = new Random();
    List<CheckResult> last = List.of();
    int round = 0;
    while (true) {
      round++;
      List<CheckResult> all = new ArrayList<>();
      boolean ready = true;
      for (Target t : targets) {
        long left = Math.max(1, deadline - System.nanoTime());
        Duration perCheck = Duration.ofNanos(Math.min(left, Doctor.CHECK_TIMEOUT.toNanos()));
        List<CheckResult> r = Doctor.checkerFor(t).check(egress, t, TargetChecker.Purpose.READINESS, perCheck);
        all.addAll(r);
        ready &= r.stream().allMatch(CheckResult::ok);
      }
      last = all;
      if (ready) {
        return all;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw notReady(targets, timeout, round, last);
      }
      // Backoff from 50 ms doubling to 1 s, jittered, never past the deadline.
      long cap = Math.min(1_000_000_000L, 50_000_000L << Math.min(round - 1, 5));
      long sleep = Math.min(left, cap / 2 + (long) (random.nextDouble() * cap / 2));
      try {
        Thread.sleep(Duration.ofNanos(sleep).toMillis(), (int) (sleep % 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new NotReadyException("interrupted while waiting for " + targets, last);
      }
    }
  }

  private static NotReadyException notReady(List<Target> targets, Duration timeout, int rounds,
      List<CheckResult> last) {
    StringBuilder sb = new StringBuilder("not ready after ").append(timeout.toMillis()).append(" ms (")
        .append(rounds).append(rounds == 1 ? " round" : " rounds").append("):");
    for (CheckResult c : last) {
      if (!c.ok()) {
        sb.append("\n  ").append(c.target()).append(' ').append(c.check()).append(": ").append(c.detail());
        if (!c.advice().isEmpty()) {
          sb.append("\n    -> ").append(c.advice());
        }
      }
    }
    return new NotReadyException(sb.toString(), last);
  }
}
