package dev.privateegress.internal;

import dev.privateegress.CheckResult;
import dev.privateegress.NotReadyException;
import dev.privateegress.Target;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@code PrivateEgress.awaitReady}: polls every target with the same checks as the doctor (DNS, TCP,
 * TLS, and Redis PING / HTTP HEAD when sdk-redis / sdk-http are present) until all pass or time runs out.
 * Between rounds it sleeps with jittered exponential backoff (50 ms doubling to 1 s), never past the
 * deadline; a round's checks are capped by the time left (but get at least 250 ms each). Runs on the
 * caller's thread only.
 */
public final class Readiness {
  private static final Logger log = LoggerFactory.getLogger(Readiness.class);

  /**
   * The least time a check gets, even when the deadline is closer: a round squeezed into the last
   * millisecond would report a healthy target as "no answer in 1 ms". The wait may overrun the timeout by
   * at most this much per target.
   */
  static final long MIN_CHECK_NANOS = 250_000_000L;
  static final long FIRST_BACKOFF_NANOS = 50_000_000L;
  static final long MAX_BACKOFF_NANOS = 1_000_000_000L;

  private Readiness() {}

  public static List<CheckResult> await(List<Target> targets, Duration timeout, Doctor.Checks checks) {
    long start = System.nanoTime();
    long deadline = start + Math.max(0, timeout.toNanos());
    List<CheckResult> last;
    int round = 0;
    while (true) {
      round++;
      List<CheckResult> all = new ArrayList<>();
      boolean ready = true;
      for (int i = 0; i < targets.size(); i++) {
        long left = Math.max(MIN_CHECK_NANOS, deadline - System.nanoTime());
        Duration perCheck = Duration.ofNanos(Math.min(left, Doctor.CHECK_TIMEOUT.toNanos()));
        List<CheckResult> r = checks.poll(targets.get(i), perCheck);
        all.addAll(r);
        ready &= !r.isEmpty() && r.stream().allMatch(CheckResult::ok);
      }
      long leftForIp = Math.max(MIN_CHECK_NANOS, deadline - System.nanoTime());
      java.util.Optional<CheckResult> ip =
          checks.egressIp(Duration.ofNanos(Math.min(leftForIp, Doctor.CHECK_TIMEOUT.toNanos())));
      if (ip.isPresent()) {
        all.add(ip.get());
        ready &= ip.get().ok();
      }
      last = all;
      if (ready) {
        log.debug("ready after {} round(s), {} ms: {}", round, (System.nanoTime() - start) / 1_000_000, targets);
        return all;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw notReady(timeout, round, last);
      }
      long sleep = Math.min(left, backoffNanos(round));
      log.debug("round {} not ready, next try in {} ms", round, sleep / 1_000_000);
      try {
        Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new NotReadyException("interrupted while waiting for " + targets, last);
      }
    }
  }

  /** Full jitter over half the cap: between cap/2 and cap, where cap doubles from 50 ms to 1 s. */
  static long backoffNanos(int round) {
    long cap = Math.min(MAX_BACKOFF_NANOS, FIRST_BACKOFF_NANOS << Math.min(round - 1, 5));
    return cap / 2 + (long) (ThreadLocalRandom.current().nextDouble() * (cap / 2));
  }

  private static NotReadyException notReady(Duration timeout, int rounds, List<CheckResult> last) {
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
