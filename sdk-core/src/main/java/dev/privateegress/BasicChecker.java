package dev.privateegress;

import dev.privateegress.internal.Pem;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLSocketFactory;

/**
 * Core's own checks: DNS, TCP and, for {@code https://} and {@code rediss://}, a TLS handshake. It
 * handles {@code tcp://} and is the fallback for http(s) and redis(s) targets when sdk-http or sdk-redis
 * is not on the class path (then no HTTP request or Redis command is sent). Not a service: the facade
 * falls back to it when no checker on the class path handles a scheme.
 */
final class BasicChecker implements TargetChecker {
  @Override
  public Set<String> schemes() {
    return Set.of("tcp", "http", "https", "redis", "rediss");
  }

  @Override
  public List<CheckResult> check(PrivateEgress egress, Target target, Purpose purpose, Duration timeout) {
    NetworkChecks.Reach reach = NetworkChecks.reach(egress, target, timeout);
    List<CheckResult> results = new ArrayList<>(reach.results());
    if (!reach.ok() || !target.tls()) {
      return results;
    }
    Optional<Path> ca = redisCa(egress, target);
    if (ca.isEmpty()) {
      results.add(NetworkChecks.tls(egress, target, reach.addresses(), timeout,
          (SSLSocketFactory) SSLSocketFactory.getDefault()));
      return results;
    }
    try {
      // Memorystore names its server by IP: verify the chain against REDIS_TLS_CA and the name by the rule
      // the Redis client uses (IP SAN, or the IP as CN), not the HTTPS rule.
      results.add(NetworkChecks.tls(egress, target, reach.addresses(), timeout, Pem.trusting(ca.get()), false));
    } catch (IOException e) {
      results.add(CheckResult.fail(target, CheckKind.TLS, 0, "cannot load REDIS_TLS_CA: " + e.getMessage(),
          "point REDIS_TLS_CA at the PEM file with the instance's server CA certificate(s)"));
    }
    return results;
  }

  /** REDIS_TLS_CA, when the target is the configured Redis server. */
  private static Optional<Path> redisCa(PrivateEgress egress, Target target) {
    if (!target.scheme().equals("rediss")) {
      return Optional.empty();
    }
    Optional<RedisSettings> redis = egress.config().redis();
    if (redis.isEmpty() || !redis.get().host().equalsIgnoreCase(target.host())) {
      return Optional.empty();
    }
    return redis.get().caFile();
  }
}
