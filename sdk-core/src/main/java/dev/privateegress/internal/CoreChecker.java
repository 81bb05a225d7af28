package dev.privateegress.internal;

import dev.privateegress.CheckResult;
import dev.privateegress.NetworkChecks;
import dev.privateegress.PrivateEgress;
import dev.privateegress.Target;
import dev.privateegress.TargetChecker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Core's own checks: DNS and TCP for every scheme. It handles {@code tcp://} and is the fallback for
 * http(s) and redis(s) targets when sdk-http or sdk-redis is not on the class path.
 */
public final class CoreChecker implements TargetChecker {
  @Override
  public Set<String> schemes() {
    return Set.of("tcp", "http", "https", "redis", "rediss");
  }

  @Override
  public List<CheckResult> check(PrivateEgress egress, Target target, Purpose purpose, Duration timeout) {
    List<CheckResult> results = new ArrayList<>(2);
    NetworkChecks.Resolution dns = NetworkChecks.dns(egress, target);
    results.add(dns.result());
    if (dns.addresses().isEmpty()) {
      return results;
    }
    results.add(NetworkChecks.tcp(egress, target, dns.addresses(), timeout));
    return results;
  }
}
