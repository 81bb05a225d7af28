package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryBudget;
import dev.privateegress.RetryPolicy;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;

/** Each Redis target spends its own retry budget and names itself in listener events. */
class TargetsAndEventsTest {

  @Test
  void anExhaustedRedisBudgetLeavesOtherTargetsTheirRetries() {
    RedisNode gone = RedisLauncher.startPlain();
    int deadPort = gone.port();
    gone.close();
    RedisNode other = RedisLauncher.startPlain();
    int otherPort = other.port();
    other.close();
    Fixtures.Events events = new Fixtures.Events();
    PrivateEgress egress = PrivateEgress.builder()
        .environment(Map.of("REDIS_URL", "redis://127.0.0.1:" + deadPort, "PRIVATE_EGRESS_STARTUP_GRACE", "PT0S"))
        .retryPolicy(RetryPolicy.defaults().withBackoff(Duration.ofMillis(1), Duration.ofMillis(5)))
        .retryBudgets(() -> new RetryBudget(4, 0.1))
        .listener(events)
        .build();
    try (UnifiedJedis dead = PrivateRedis.connect(egress)) {
      for (int i = 0; i < 4; i++) {
        catchThrowable(dead::ping);
      }
      assertThat(events.budgetExhausted).contains("redis 127.0.0.1:" + deadPort);
      assertThat(egress.retryBudget("redis 127.0.0.1:" + deadPort).available()).isLessThan(1);
    }
    assertThat(egress.retryBudget("api.internal:443").tryAcquireRetry()).as("an HTTP target keeps its budget").isTrue();
    // A client of another Redis endpoint, run through retrying() on the same egress (same budgets).
    events.retries.clear();
    try (UnifiedJedis another = PrivateRedis.connect(PrivateEgress.builder()
        .environment(Map.of("REDIS_URL", "redis://127.0.0.1:" + otherPort, "PRIVATE_EGRESS_STARTUP_GRACE", "PT0S"))
        .build())) {
      catchThrowable(() -> PrivateRedis.retrying(egress, another, UnifiedJedis::ping));
    }
    assertThat(events.retries).as("another Redis target still retries").isNotEmpty()
        .allSatisfy(r -> assertThat(r).startsWith("redis 127.0.0.1:" + otherPort + " "));
  }

  @Test
  void attemptAndCallEventsNameTheTargetWhenAListenerIsSet() {
    try (RedisNode n = RedisLauncher.startPlain()) {
      Fixtures.Events events = new Fixtures.Events();
      try (UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of("REDIS_URL", n.url()), events))) {
        redis.incr("c");
        catchThrowable(() -> redis.lpush("c", "x")); // WRONGTYPE: an answer, so the call succeeded
        String target = "redis 127.0.0.1:" + n.port();
        assertThat(events.attempts).containsExactly(target + " #1 ok", target + " #1 ok");
        assertThat(events.calls).containsExactly(target + " 1 true", target + " 1 true");
      }
    }
  }
}
