package dev.privateegress.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.CheckKind;
import dev.privateegress.CheckResult;
import dev.privateegress.Target;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Memorystore hints that sdk-redis adds to core's protocol-neutral checks. */
class RedisCheckerHintsTest {

  @Test
  void aRefusedPort6379HintsAtTheTlsPort_onlyThere() {
    Target plain = Target.parse("redis://10.0.0.3:6379");
    CheckResult refused = CheckResult.fail(plain, CheckKind.TCP, 1, "10.0.0.3:6379 refused",
        "the host answered but refused port 6379: the service is down or listens on another port.");
    assertThat(RedisChecker.withPortHint(plain, List.of(refused)).get(0).advice()).endsWith("6378, not 6379.");

    Target other = Target.parse("redis://10.0.0.3:6380");
    CheckResult refusedOther = CheckResult.fail(other, CheckKind.TCP, 1, "10.0.0.3:6380 refused", "refused");
    assertThat(RedisChecker.withPortHint(other, List.of(refusedOther)).get(0).advice()).doesNotContain("6378");

    CheckResult timeout = CheckResult.fail(plain, CheckKind.TCP, 1, "10.0.0.3:6379 no answer in 3000 ms", "dropped");
    assertThat(RedisChecker.withPortHint(plain, List.of(timeout)).get(0)).isEqualTo(timeout);
  }

  @Test
  void aFailedAccessTokenNamesMemorystoresIamRoles() {
    Target t = Target.parse("redis://10.0.0.3:6379");
    CheckResult failed = CheckResult.fail(t, CheckKind.TOKEN, 1, "no access token", "the token source refused");
    assertThat(RedisChecker.withIamRoles(failed).advice()).contains("roles/redis.dbConnectionUser");
    CheckResult ok = CheckResult.pass(t, CheckKind.TOKEN, 1, "access token");
    assertThat(RedisChecker.withIamRoles(ok)).isEqualTo(ok);
  }
}
