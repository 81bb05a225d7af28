package dev.privateegress;

import dev.privateegress.spi.CheckContext;
import dev.privateegress.spi.Reach;
import dev.privateegress.spi.TargetChecker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLSocketFactory;

/**
 * Core's own checks: DNS, TCP and, for {@code https://}, a TLS handshake verified by the JDK's trust store
 * and HTTPS name rules. It handles {@code tcp://} and is the fallback for any scheme no checker on the
 * class path claims (then no HTTP request or Redis command is sent, and a {@code rediss://} target gets
 * no TLS check: Memorystore certificates follow Redis' naming rules, which sdk-redis knows). Not a
 * service: the facade falls back to it.
 */
final class BasicChecker implements TargetChecker {
  @Override
  public Set<String> schemes() {
    return Set.of("tcp");
  }

  @Override
  public List<CheckResult> check(CheckContext context, Target target, Purpose purpose, Duration timeout) {
    Reach reach = context.reach(target, timeout);
    List<CheckResult> results = new ArrayList<>(reach.results());
    if (reach.ok() && target.scheme().equals("https")) {
      results.add(context.tls(target, reach.addresses(), timeout, (SSLSocketFactory) SSLSocketFactory.getDefault()));
    }
    return results;
  }
}
