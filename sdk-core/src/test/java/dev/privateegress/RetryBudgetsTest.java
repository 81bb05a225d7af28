package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.internal.EgressRuntime;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetryBudgetsTest {

  @Test
  void eachTargetHasItsOwnBudget() {
    PrivateEgress egress = PrivateEgress.builder().environment(Map.of())
        .retryBudgets(() -> new RetryBudget(2, 0)).build();
    RetryBudget redis = egress.retryBudget("redis 127.0.0.1:6379");
    assertThat(redis.tryAcquireRetry()).isTrue();
    assertThat(redis.tryAcquireRetry()).isTrue();
    assertThat(redis.tryAcquireRetry()).isFalse();
    // an exhausted Redis budget leaves the HTTP target's untouched
    assertThat(egress.retryBudget("my.api.private:80").tryAcquireRetry()).isTrue();
    assertThat(egress.retryBudget("redis 127.0.0.1:6379")).isSameAs(redis);
  }

  @Test
  void aSharedBudgetIsOneForAllTargets() {
    RetryBudget one = new RetryBudget(1, 0);
    PrivateEgress egress = PrivateEgress.builder().environment(Map.of()).retryBudget(one).build();
    assertThat(egress.retryBudget("a:1")).isSameAs(one);
    assertThat(egress.retryBudget("b:2")).isSameAs(one);
  }

  @Test
  void targetsPastTheBoundShareOneOverflowBudget() {
    PrivateEgress budgets = PrivateEgress.builder().environment(Map.of())
        .retryBudgets(() -> new RetryBudget(1, 0)).build();
    for (int i = 0; i < EgressRuntime.MAX_TARGETS; i++) {
      budgets.retryBudget("h" + i + ":80");
    }
    RetryBudget overflow = budgets.retryBudget("new-1:80");
    assertThat(budgets.retryBudget("new-2:80")).isSameAs(overflow);
    assertThat(overflow.tryAcquireRetry()).isTrue();
    assertThat(budgets.retryBudget("new-3:80").tryAcquireRetry()).isFalse();
    assertThat(budgets.retryBudget("h0:80").tryAcquireRetry()).isTrue();
  }
}
