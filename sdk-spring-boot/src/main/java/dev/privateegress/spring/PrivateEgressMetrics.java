package dev.privateegress.spring;

import dev.privateegress.EgressListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * An {@link EgressListener} that turns the SDK's events into Micrometer meters under {@code private.egress.}:
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>from</th></tr>
 *   <tr><td>{@code private.egress.attempts}</td><td>timer</td><td>target, outcome (HTTP status or failure kind)</td><td>{@code attempt}</td></tr>
 *   <tr><td>{@code private.egress.calls}</td><td>counter</td><td>target, outcome ({@code success}/{@code failure})</td><td>{@code callEnded}</td></tr>
 *   <tr><td>{@code private.egress.call.attempts}</td><td>summary</td><td>target, outcome</td><td>{@code callEnded}: attempts per call</td></tr>
 *   <tr><td>{@code private.egress.retries}</td><td>counter</td><td>target</td><td>{@code retry}</td></tr>
 *   <tr><td>{@code private.egress.retry.budget.exhausted}</td><td>counter</td><td>target</td><td>{@code retryBudgetExhausted}</td></tr>
 *   <tr><td>{@code private.egress.token.fetches}</td><td>timer</td><td>kind ({@code id}/{@code access}), outcome</td><td>{@code tokenFetched}</td></tr>
 *   <tr><td>{@code private.egress.token.age}</td><td>time gauge</td><td>kind</td><td>time since the last successful fetch</td></tr>
 *   <tr><td>{@code private.egress.connect.failures}</td><td>counter</td><td>host</td><td>{@code connectFailed}</td></tr>
 *   <tr><td>{@code private.egress.redis.auth.failures}</td><td>counter</td><td>target</td><td>{@code redisAuthFailed}</td></tr>
 *   <tr><td>{@code private.egress.redis.ambiguous}</td><td>counter</td><td>target, command</td><td>{@code redisAmbiguous}</td></tr>
 * </table>
 *
 * <p>The {@code target} tag is {@code host:port} (HTTP) or {@code redis host:port}, as the SDK names targets:
 * never a path, a query or credentials. After {@value #MAX_TARGETS} distinct targets further ones are tagged
 * {@code other}, so a client calling many hosts cannot flood the registry. A call that succeeded after two retries shows as one {@code calls{outcome=success}}, two
 * {@code retries} and three {@code attempts}.
 */
public final class PrivateEgressMetrics implements EgressListener {
  /** Most distinct {@code target} tag values; later targets share {@value #OTHER}. */
  public static final int MAX_TARGETS = 100;

  static final String OTHER = "other";

  private final MeterRegistry registry;
  private final Clock clock;
  private final Set<String> targets = ConcurrentHashMap.newKeySet();
  private final Map<String, Long> lastTokenMillis = new ConcurrentHashMap<>();

  /**
   * Meters in {@code registry}.
   *
   * @param registry where the meters are registered, on the first event that needs each
   * @param clock measures token age
   */
  public PrivateEgressMetrics(MeterRegistry registry, Clock clock) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public void attempt(String target, int attempt, String outcome, Duration took) {
    Timer.builder("private.egress.attempts")
        .description("Attempts of calls to private targets, by HTTP status or failure kind")
        .tags("target", target(target), "outcome", String.valueOf(outcome))
        .register(registry)
        .record(took);
  }

  @Override
  public void callEnded(String target, int attempts, boolean succeeded) {
    String t = target(target);
    String outcome = succeeded ? "success" : "failure";
    Counter.builder("private.egress.calls")
        .description("Calls to private targets, after all their attempts")
        .tags("target", t, "outcome", outcome)
        .register(registry)
        .increment();
    DistributionSummary.builder("private.egress.call.attempts")
        .description("Attempts each call to a private target made")
        .tags("target", t, "outcome", outcome)
        .register(registry)
        .record(attempts);
  }

  @Override
  public void retry(String target, int attempt, Duration delay, String cause) {
    Counter.builder("private.egress.retries")
        .description("Retries of calls to private targets")
        .tags("target", target(target))
        .register(registry)
        .increment();
  }

  @Override
  public void retryBudgetExhausted(String target) {
    Counter.builder("private.egress.retry.budget.exhausted")
        .description("Retries not made because the target's retry budget was empty")
        .tags("target", target(target))
        .register(registry)
        .increment();
  }

  @Override
  public void tokenFetched(String kind, String audience, Duration took, Throwable failure) {
    String k = kind == null ? "unknown" : kind;
    Timer.builder("private.egress.token.fetches")
        .description("Token fetches from their source (cache hits are not counted)")
        .tags("kind", k, "outcome", failure == null ? "success" : "failure")
        .register(registry)
        .record(took);
    if (failure == null) {
      if (lastTokenMillis.put(k, clock.millis()) == null) {
        TimeGauge.builder("private.egress.token.age", this, TimeUnit.MILLISECONDS, m -> m.tokenAgeMillis(k))
            .description("Time since a token of this kind was last fetched")
            .tags("kind", k)
            .register(registry);
      }
    }
  }

  private double tokenAgeMillis(String kind) {
    Long at = lastTokenMillis.get(kind);
    return at == null ? Double.NaN : Math.max(0, clock.millis() - at);
  }

  @Override
  public void connectFailed(String host, InetSocketAddress address, Throwable cause) {
    Counter.builder("private.egress.connect.failures")
        .description("TCP connections to private targets that could not be established")
        .tags("host", target(host))
        .register(registry)
        .increment();
  }

  @Override
  public void redisAuthFailed(String target, String reason) {
    Counter.builder("private.egress.redis.auth.failures")
        .description("Redis servers that refused AUTH")
        .tags("target", target(target))
        .register(registry)
        .increment();
  }

  @Override
  public void redisAmbiguous(String target, String command) {
    Counter.builder("private.egress.redis.ambiguous")
        .description("Redis commands that failed after they may have run, and were not re-sent")
        .tags("target", target(target), "command", command == null ? "unknown" : command.toUpperCase(Locale.ROOT))
        .register(registry)
        .increment();
  }

  /** The tag value for a target, bounded in cardinality. */
  String target(String raw) {
    String t = normalize(raw);
    if (targets.contains(t)) {
      return t;
    }
    if (targets.size() >= MAX_TARGETS) {
      return OTHER;
    }
    targets.add(t);
    return t;
  }

  /** The target as the SDK names it ({@code host:port}, {@code redis host:port}); "unknown" when missing. */
  static String normalize(String raw) {
    return raw == null || raw.isEmpty() ? "unknown" : raw;
  }
}
