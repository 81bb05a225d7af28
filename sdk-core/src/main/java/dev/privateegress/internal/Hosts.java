package dev.privateegress.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/** Host-name helpers shared by the modules. */
public final class Hosts {
  private Hosts() {}

  /** True when {@code host} is an IPv4 dotted quad (each part 0-255) or an IPv6 literal (brackets allowed). */
  public static boolean isIpLiteral(String host) {
    return parseIpLiteral(host).isPresent();
  }

  /**
   * Parses an IP literal without any name lookup; empty when {@code host} is a name (or malformed).
   * IPv6 may be written with or without brackets.
   */
  public static Optional<InetAddress> parseIpLiteral(String host) {
    if (host == null || host.isEmpty()) {
      return Optional.empty();
    }
    String s = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    boolean v4 = s.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    if (v4) {
      for (String part : s.split("\\.")) {
        if (Integer.parseInt(part) > 255) {
          return Optional.empty();
        }
      }
    } else if (s.indexOf(':') < 0 || !s.matches("[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?")) {
      return Optional.empty();
    }
    try {
      // With a literal, getByName only parses: no lookup happens.
      return Optional.of(InetAddress.getByName(s));
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }
}
