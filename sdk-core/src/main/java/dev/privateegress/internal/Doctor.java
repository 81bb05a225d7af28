package dev.privateegress.internal;

import dev.privateegress.CheckKind;
import dev.privateegress.CheckResult;
import dev.privateegress.DoctorReport;
import dev.privateegress.EgressInfo;
import dev.privateegress.NotReadyException;
import dev.privateegress.Platform;
import dev.privateegress.Target;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each target's checks for {@code PrivateEgress.doctor} ({@link #run}) and {@code awaitReady} ({@link
 * #await}). The doctor does platform, credentials and egress detection first (so that every check's advice
 * can use them), then each target's checks, then the egress verdict again, now refined by what the TCP checks
 * proved (a private address that answered means VPC egress).
 */
public final class Doctor {
  /** Initialised on first log call: slf4j start-up must stay off the fromEnvironment() path. */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(Doctor.class);
  }

  public static final Duration CHECK_TIMEOUT = Duration.ofSeconds(3);

  /** Runs the checks of one target; {@code PrivateEgress} picks the checker. */
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

  /**
   * The least time a check gets, even when the deadline is closer: a round squeezed into the last
   * millisecond would report a healthy target as "no answer in 1 ms". The wait may overrun the timeout by
   * at most this much per target.
   */
  static final long MIN_CHECK_NANOS = 250_000_000L;
  static final long FIRST_BACKOFF_NANOS = 50_000_000L;
  static final long MAX_BACKOFF_NANOS = 1_000_000_000L;

  /**
   * Runs {@code PrivateEgress.awaitReady}: polls every target with the same checks as the doctor (DNS, TCP, TLS,
   * and Redis PING / HTTP HEAD when sdk-redis / sdk-http are present) until all pass or time runs out. Between
   * rounds it sleeps with jittered exponential backoff (50 ms doubling to 1 s), never past the deadline; a
   * round's checks are capped by the time left (but get at least {@link #MIN_CHECK_NANOS} each). Runs on the
   * caller's thread only.
   */
  public static List<CheckResult> await(List<Target> targets, Duration timeout, Checks checks) {
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
        Duration perCheck = Duration.ofNanos(Math.min(left, CHECK_TIMEOUT.toNanos()));
        List<CheckResult> r = checks.poll(targets.get(i), perCheck);
        all.addAll(r);
        ready &= !r.isEmpty() && r.stream().allMatch(CheckResult::ok);
      }
      long leftForIp = Math.max(MIN_CHECK_NANOS, deadline - System.nanoTime());
      Optional<CheckResult> ip =
          checks.egressIp(Duration.ofNanos(Math.min(leftForIp, CHECK_TIMEOUT.toNanos())));
      if (ip.isPresent()) {
        all.add(ip.get());
        ready &= ip.get().ok();
      }
      last = all;
      if (ready) {
        Log.LOG.debug("ready after {} round(s), {} ms: {}", round, (System.nanoTime() - start) / 1_000_000, targets);
        return all;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw notReady(timeout, round, last);
      }
      long sleep = Math.min(left, backoffNanos(round));
      Log.LOG.debug("round {} not ready, next try in {} ms", round, sleep / 1_000_000);
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
