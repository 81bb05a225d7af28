package dev.privateegress.spring;

import dev.privateegress.CheckResult;
import dev.privateegress.DoctorReport;
import dev.privateegress.PrivateEgress;
import dev.privateegress.Target;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The {@code privateEgress} health contributor: runs {@link PrivateEgress#doctor} against the configured
 * private targets (the Redis target and {@code private-egress.readiness.targets}) and is UP when every check
 * passed. Details list each target's checks with the doctor's names ({@code dns}, {@code tcp}, {@code tls},
 * {@code token}, {@code http}, {@code redis}), what was seen, and for failures the doctor's advice; targets
 * are shown with passwords masked and no token or AUTH string ever appears.
 *
 * <p>A probe storm cannot become a connection storm: a result is served to every probe for {@code cacheTtl},
 * and while one round of checks runs, further probes wait for that same round instead of starting another.
 * A probe waits at most {@code timeout}; a round that takes longer reports DOWN (or the previous result,
 * when there is one) and finishes in the background, its result cached for the next probe.
 */
public final class PrivateEgressHealthIndicator implements HealthIndicator {
  private final PrivateEgress egress;
  private final List<String> targets;
  private final long timeoutNanos;
  private final long cacheTtlNanos;

  private final Object lock = new Object();
  private Result last;
  private CompletableFuture<Result> running;

  private record Result(Health health, long atNanos) {}

  /**
   * A contributor for {@code targets}.
   *
   * @param egress runs the checks
   * @param targets {@code http(s)://}, {@code redis(s)://} or {@code tcp://host:port}; parsed now
   * @param timeout longest a probe waits for a round of checks
   * @param cacheTtl how long a result is served before the targets are checked again
   * @throws dev.privateegress.ConfigurationException naming a target that cannot be parsed
   */
  public PrivateEgressHealthIndicator(PrivateEgress egress, List<String> targets, Duration timeout, Duration cacheTtl) {
    this.egress = Objects.requireNonNull(egress, "egress");
    for (String t : targets) {
      Target.parse(t);
    }
    this.targets = List.copyOf(targets);
    this.timeoutNanos = positive(timeout, "private-egress.readiness.timeout").toNanos();
    this.cacheTtlNanos = Objects.requireNonNull(cacheTtl, "cacheTtl").isNegative() ? 0 : cacheTtl.toNanos();
  }

  private static Duration positive(Duration d, String name) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + d + "; e.g. 5s");
    }
    return d;
  }

  /** The targets checked, as configured. */
  public List<String> targets() {
    return targets;
  }

  @Override
  public Health health() {
    CompletableFuture<Result> round;
    Result previous;
    synchronized (lock) {
      previous = last;
      if (previous != null && System.nanoTime() - previous.atNanos() < cacheTtlNanos) {
        return previous.health();
      }
      if (running == null) {
        CompletableFuture<Result> f = new CompletableFuture<>();
        running = f;
        // Its own thread, so a probe can give up waiting while the checks (each bounded) finish.
        Thread t = new Thread(() -> check(f), "private-egress-health");
        t.setDaemon(true);
        t.start();
      }
      round = running;
    }
    try {
      return round.get(timeoutNanos, TimeUnit.NANOSECONDS).health();
    } catch (TimeoutException e) {
      if (previous != null) {
        return previous.health();
      }
      return Health.down().withDetail("error", "checks did not finish within "
          + Duration.ofNanos(timeoutNanos) + " (private-egress.readiness.timeout)").build();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Health.unknown().withDetail("error", "interrupted").build();
    } catch (ExecutionException e) {
      return Health.down().withDetail("error", String.valueOf(e.getCause())).build();
    }
  }

  private void check(CompletableFuture<Result> f) {
    Result r;
    try {
      r = new Result(toHealth(egress.doctor(targets)), System.nanoTime());
    } catch (RuntimeException | Error e) {
      r = new Result(Health.down().withDetail("error", e.getClass().getSimpleName() + ": " + e.getMessage()).build(),
          System.nanoTime());
    }
    synchronized (lock) {
      last = r;
      running = null;
    }
    f.complete(r);
  }

  static Health toHealth(DoctorReport report) {
    Map<String, Map<String, Object>> byTarget = new LinkedHashMap<>();
    for (CheckResult c : report.checks()) {
      Map<String, Object> t = byTarget.computeIfAbsent(c.target(), k -> {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", "UP");
        m.put("checks", new ArrayList<Map<String, Object>>());
        return m;
      });
      Map<String, Object> check = new LinkedHashMap<>();
      check.put("check", c.check().id());
      check.put("ok", c.ok());
      check.put("millis", c.millis());
      check.put("detail", c.detail());
      if (!c.ok()) {
        t.put("status", "DOWN");
        check.put("advice", c.advice());
      }
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> checks = (List<Map<String, Object>>) t.get("checks");
      checks.add(check);
    }
    Health.Builder b = report.ok() ? Health.up() : Health.down();
    return b.withDetail("platform", report.platform().id())
        .withDetail("egress", report.egress().mode().id() + " / " + report.egress().scope().id())
        .withDetail("targets", byTarget)
        .build();
  }

  @Override
  public String toString() {
    return "PrivateEgressHealthIndicator" + targets;
  }
}
