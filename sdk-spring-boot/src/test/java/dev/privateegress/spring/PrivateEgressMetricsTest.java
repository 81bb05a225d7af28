package dev.privateegress.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.testing.MutableClock;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The meters, fed by calling the listener the way the SDK does. */
class PrivateEgressMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final MutableClock clock = MutableClock.start();
  private final PrivateEgressMetrics metrics = new PrivateEgressMetrics(registry, clock);

  private double count(String name, String... tags) {
    return registry.find(name).tags(tags).meters().stream().mapToDouble(PrivateEgressMetricsTest::countOf).sum();
  }

  private static double countOf(Meter m) {
    for (var measurement : m.measure()) {
      if (measurement.getStatistic() == io.micrometer.core.instrument.Statistic.COUNT) {
        return measurement.getValue();
      }
    }
    return 0;
  }

  @Test
  void aCallThatSucceededAfterTwoRetriesShowsExactlyThat() {
    String target = "my.api.private:8080";
    // The order sdk-http reports one logical call in: attempt, retry, attempt, retry, attempt, end.
    metrics.attempt(target, 1, "503", Duration.ofMillis(3));
    metrics.retry(target, 1, Duration.ofMillis(100), "HTTP 503");
    metrics.attempt(target, 2, "503", Duration.ofMillis(2));
    metrics.retry(target, 2, Duration.ofMillis(200), "HTTP 503");
    metrics.attempt(target, 3, "200", Duration.ofMillis(4));
    metrics.callEnded(target, 3, true);

    assertThat(count("private.egress.retries", "target", target)).isEqualTo(2);
    assertThat(count("private.egress.attempts", "target", target, "outcome", "503")).isEqualTo(2);
    assertThat(count("private.egress.attempts", "target", target, "outcome", "200")).isEqualTo(1);
    assertThat(count("private.egress.calls", "target", target, "outcome", "success")).isEqualTo(1);
    assertThat(count("private.egress.calls", "target", target, "outcome", "failure")).isZero();
    DistributionSummary perCall = registry.get("private.egress.call.attempts").tags("target", target).summary();
    assertThat(perCall.count()).isEqualTo(1);
    assertThat(perCall.totalAmount()).isEqualTo(3);
    assertThat(registry.get("private.egress.attempts").tags("outcome", "503").timer().totalTime(TimeUnit.MILLISECONDS))
        .isEqualTo(5);
  }

  @Test
  void budgetRefusalsConnectFailuresAndRedisEvents() {
    metrics.retryBudgetExhausted("api.example.com:443");
    metrics.connectFailed("10.0.0.5", new InetSocketAddress("127.0.0.1", 6379), new java.net.ConnectException());
    metrics.redisAuthFailed("redis 10.0.0.3:6379", "WRONGPASS");
    metrics.redisAmbiguous("redis 10.0.0.3:6379", "incr");
    metrics.redisAmbiguous("redis 10.0.0.3:6379", "INCR");
    metrics.callEnded("redis 10.0.0.3:6379", 1, false);

    assertThat(count("private.egress.retry.budget.exhausted", "target", "api.example.com:443")).isEqualTo(1);
    assertThat(count("private.egress.connect.failures", "host", "10.0.0.5")).isEqualTo(1);
    assertThat(count("private.egress.redis.auth.failures", "target", "redis 10.0.0.3:6379")).isEqualTo(1);
    assertThat(count("private.egress.redis.ambiguous", "target", "redis 10.0.0.3:6379", "command", "INCR")).isEqualTo(2);
    assertThat(count("private.egress.calls", "target", "redis 10.0.0.3:6379", "outcome", "failure")).isEqualTo(1);
  }

  @Test
  void tokenFetchesByKindAndOutcomeAndTheAgeOfTheLastGoodOne() {
    assertThat(registry.find("private.egress.token.age").meter()).isNull();
    metrics.tokenFetched("id", "https://a.example.com", Duration.ofMillis(12), null);
    metrics.tokenFetched("id", "https://b.example.com", Duration.ofMillis(8), null);
    metrics.tokenFetched("access", "", Duration.ofMillis(5), null);
    clock.advance(Duration.ofSeconds(30));
    metrics.tokenFetched("id", "https://a.example.com", Duration.ofMillis(900), new java.io.IOException("metadata 503"));

    assertThat(count("private.egress.token.fetches", "kind", "id", "outcome", "success")).isEqualTo(2);
    assertThat(count("private.egress.token.fetches", "kind", "id", "outcome", "failure")).isEqualTo(1);
    assertThat(count("private.egress.token.fetches", "kind", "access", "outcome", "success")).isEqualTo(1);
    // A failed fetch does not make the token younger.
    assertThat(registry.get("private.egress.token.age").tags("kind", "id").timeGauge().value(TimeUnit.SECONDS))
        .isEqualTo(30);
    metrics.tokenFetched("id", "https://a.example.com", Duration.ofMillis(10), null);
    assertThat(registry.get("private.egress.token.age").tags("kind", "id").timeGauge().value(TimeUnit.SECONDS))
        .isZero();
    // Audiences are not tags.
    assertThat(registry.find("private.egress.token.fetches").meters())
        .allSatisfy(m -> assertThat(m.getId().getTag("audience")).isNull());
  }

  @Test
  void targetTagsAreTheTargetsTheSdkNames() {
    assertThat(PrivateEgressMetrics.normalize("redis 10.0.0.3:6379")).isEqualTo("redis 10.0.0.3:6379");
    assertThat(PrivateEgressMetrics.normalize("my.api.private:8080")).isEqualTo("my.api.private:8080");
    assertThat(PrivateEgressMetrics.normalize(null)).isEqualTo("unknown");
  }

  @Test
  void manyTargetsShareOneTagPastTheLimit() {
    for (int i = 0; i < PrivateEgressMetrics.MAX_TARGETS + 50; i++) {
      metrics.retry("host" + i + ".private:80", 1, Duration.ZERO, "HTTP 503");
    }
    assertThat(registry.find("private.egress.retries").meters()).hasSize(PrivateEgressMetrics.MAX_TARGETS + 1);
    assertThat(count("private.egress.retries", "target", "other")).isEqualTo(50);
    metrics.retry("host0.private:80", 1, Duration.ZERO, "HTTP 503"); // a known target keeps its tag
    assertThat(count("private.egress.retries", "target", "host0.private:80")).isEqualTo(2);
  }
}
