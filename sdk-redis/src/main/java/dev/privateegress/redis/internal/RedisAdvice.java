package dev.privateegress.redis.internal;

import dev.privateegress.CheckKind;
import dev.privateegress.CheckResult;
import dev.privateegress.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Redis and Memorystore hints added to core's protocol-neutral DNS, TCP and token checks: the TLS port
 * of in-transit encryption and the IAM roles Memorystore asks for.
 */
final class RedisAdvice {
  static final String TLS_PORT_HINT = " Memorystore with in-transit encryption listens on 6378, not 6379.";
  static final String IAM_ROLES_HINT = "; the principal also needs roles/redis.dbConnectionUser "
      + "(Valkey: roles/memorystore.dbConnectionUser)";

  private RedisAdvice() {}

  /** {@code results} with the 6378 hint added to a TCP check that was refused on port 6379. */
  static List<CheckResult> withPortHint(Target target, List<CheckResult> results) {
    List<CheckResult> out = new ArrayList<>(results.size());
    for (CheckResult r : results) {
      boolean refused = r.check() == CheckKind.TCP && !r.ok()
          && r.detail().toLowerCase(Locale.ROOT).contains("refused");
      out.add(refused && target.port() == 6379 && !r.advice().startsWith("nothing listens")
          ? new CheckResult(r.target(), r.check(), false, r.millis(), r.detail(), r.advice() + TLS_PORT_HINT)
          : r);
    }
    return out;
  }

  /** A failed access-token check with the Memorystore IAM roles added. */
  static CheckResult withIamRoles(CheckResult token) {
    return token.ok() ? token
        : new CheckResult(token.target(), token.check(), false, token.millis(), token.detail(),
            token.advice() + IAM_ROLES_HINT);
  }
}
