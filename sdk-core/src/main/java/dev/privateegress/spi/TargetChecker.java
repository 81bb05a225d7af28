package dev.privateegress.spi;

import dev.privateegress.CheckResult;
import dev.privateegress.PrivateEgress;
import dev.privateegress.Target;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Plugs protocol-specific checks into {@link PrivateEgress#doctor} and {@link PrivateEgress#awaitReady}.
 * Found with {@link java.util.ServiceLoader} (list the class in {@code
 * META-INF/services/dev.privateegress.spi.TargetChecker}); sdk-http registers one for http(s) and sdk-redis
 * one for redis(s). Core's own checks (DNS, TCP, and TLS for https) handle {@code tcp://} and every scheme
 * no checker on the class path claims.
 *
 * <p>Checks must be side-effect free (no writes, no token text in results) and must respect the
 * timeout.
 */
public interface TargetChecker {

  /** Why the checks run: a full diagnosis, or a readiness poll that only needs "usable or not". */
  enum Purpose {
    DOCTOR,
    READINESS
  }

  /** The URI schemes this checker handles, lower case. */
  Set<String> schemes();

  /**
   * Runs the checks for one target in order (for example dns, tcp, tls, token, http), stopping after
   * a failure that makes the later checks meaningless.
   */
  List<CheckResult> check(CheckContext context, Target target, Purpose purpose, Duration timeout);
}
