package dev.privateegress.internal;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/** Host-name helpers shared by the modules. */
public final class Hosts {
  private Hosts() {}

  /**
   * True when {@code host} is a DNS name in ASCII: letters, digits, '-' and '.' (and '_' when {@code
   * underscore}, which private zones and Memorystore names may use but java.net.URI rejects); labels of
   * 1-63 characters that neither start nor end with '-'; at most 253 characters.
   */
  public static boolean isHostName(String host, boolean underscore) {
    if (host.isEmpty() || host.length() > 253) {
      return false;
    }
    int labelStart = 0;
    for (int i = 0; i <= host.length(); i++) {
      char c = i == host.length() ? '.' : host.charAt(i);
      if (c == '.') {
        // Each label: 1-63 characters, no '-' at either end.
        if (i == labelStart || i - labelStart > 63 || host.charAt(labelStart) == '-' || host.charAt(i - 1) == '-') {
          return false;
        }
        labelStart = i + 1;
        continue;
      }
      boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
          || underscore && c == '_';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /**
   * True when {@code host} is a name {@link java.net.URI} accepts as a server host: {@link
   * #isHostName(String, boolean) a host name} without '_' whose last label starts with a letter (so
   * {@code 10.0.0.300} is neither an address nor a name).
   */
  public static boolean isUriHostName(String host) {
    if (!isHostName(host, false)) {
      return false;
    }
    char first = host.charAt(host.lastIndexOf('.') + 1);
    return first >= 'a' && first <= 'z' || first >= 'A' && first <= 'Z';
  }

  /**
   * {@code address} as a URL writes it: an IPv6 address in its short form (RFC 5952, as OkHttp's
   * {@code HttpUrl.host()} gives it) in brackets, e.g. {@code [::1]}; an IPv4 address as is.
   */
  public static String literal(InetAddress address) {
    return address instanceof Inet6Address ? "[" + shortIpv6(address.getAddress()) + "]" : address.getHostAddress();
  }

  /** {@code address:port} for messages, with an IPv6 address in brackets: {@code [::1]:43807}. */
  public static String hostPort(InetAddress address, int port) {
    return literal(address) + ":" + port;
  }

  /** RFC 5952 text of a 16-byte address: lower-case hex, the longest run of two or more zero groups as "::". */
  static String shortIpv6(byte[] a) {
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = (a[2 * i] & 0xff) << 8 | a[2 * i + 1] & 0xff;
    }
    int bestStart = -1;
    int bestLen = 1;
    for (int i = 0; i < 8; ) {
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder b = new StringBuilder(39);
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        b.append("::");
        i += bestLen - 1;
        continue;
      }
      if (b.length() > 0 && b.charAt(b.length() - 1) != ':') {
        b.append(':');
      }
      b.append(Integer.toHexString(g[i]));
    }
    return b.toString();
  }

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
    } else if (s.indexOf(':') < 0 || !s.matches("[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?")
        || !s.replaceFirst("%.*", "").matches("(?:[0-9A-Fa-f]{0,4}:)+(?:[0-9A-Fa-f]{0,4}|\\d{1,3}(?:\\.\\d{1,3}){3})")) {
      return Optional.empty(); // groups of at most four hex digits, as java.net.URI and RFC 4291 require
    }
    try {
      // With a literal, getByName only parses: no lookup happens.
      return Optional.of(InetAddress.getByName(s));
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }
}
