package dev.privateegress.spi;

import dev.privateegress.CheckResult;
import java.net.InetAddress;
import java.util.List;

/**
 * The DNS and TCP checks every checker starts with ({@link CheckContext#reach}).
 *
 * @param results the dns check, then the tcp check when DNS found addresses
 * @param addresses what DNS found (empty when it failed)
 */
public record Reach(List<CheckResult> results, List<InetAddress> addresses) {
  public Reach {
    results = List.copyOf(results);
    addresses = List.copyOf(addresses);
  }

  /** True when DNS resolved and a TCP connection was accepted. */
  public boolean ok() {
    return results.size() == 2 && results.stream().allMatch(CheckResult::ok);
  }
}
