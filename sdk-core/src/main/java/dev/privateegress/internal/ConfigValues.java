package dev.privateegress.internal;

import com.google.common.net.InternetDomainName;
import dev.privateegress.ConfigurationException;
import dev.privateegress.internal.ConfigSource.Raw;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Parsers for the configuration variables, single values and the host lists ({@code PRIVATE_EGRESS_HOSTS},
 * {@code PRIVATE_EGRESS_AUDIENCES}). Each takes the raw value and either returns
 * the parsed value or throws a {@link ConfigurationException} naming the input. Only ASCII is
 * accepted where the syntax is ASCII: {@code ６３７９} is not a port, and {@code K} (Kelvin sign) is
 * not a {@code k}.
 */
public final class ConfigValues {
  private ConfigValues() {}

  /**
   * The value without surrounding spaces, tabs and line breaks; empty when blank. A control character
   * anywhere else is rejected: it is never part of a valid value, and it could forge log lines.
   */
  public static String text(Raw raw, boolean secret) {
    String v = stripLineSpace(raw.value());
    if (Util.hasControls(v)) {
      throw new ConfigurationException(raw.input(), secret ? "****" : raw.value(),
          "it holds a control or invisible formatting character (shown escaped); remove it");
    }
    return v;
  }

  /** {@code s} without leading and trailing space, tab, CR and LF (unlike {@code trim()}, NUL stays). */
  public static String stripLineSpace(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && isLineSpace(s.charAt(start))) {
      start++;
    }
    while (end > start && isLineSpace(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(start, end);
  }

  private static boolean isLineSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }

  /** One of {@code allowed}, compared ignoring ASCII case; returns its index. */
  public static int keyword(Raw raw, List<String> allowed) {
    String v = text(raw, false);
    if (Util.isPrintableAscii(v)) {
      String lower = v.toLowerCase(Locale.ROOT);
      for (int i = 0; i < allowed.size(); i++) {
        if (allowed.get(i).toLowerCase(Locale.ROOT).equals(lower)) {
          return i;
        }
      }
    }
    throw new ConfigurationException(raw.input(), raw.value(), "allowed: " + String.join(", ", allowed));
  }

  /** {@code true} or {@code false}, any ASCII case. */
  public static boolean bool(Raw raw) {
    return keyword(raw, List.of("true", "false")) == 0;
  }

  /** A TCP port: 1 to 5 ASCII digits, 1-65535. */
  public static int port(Raw raw) {
    String v = text(raw, false);
    String problem = portProblem(v);
    if (problem != null) {
      throw new ConfigurationException(raw.input(), raw.value(), problem);
    }
    return Integer.parseInt(v);
  }

  /** Why {@code v} is not a port, or null when it is one. */
  public static String portProblem(String v) {
    if (!Util.isAsciiDigits(v, 5)) {
      return v.isEmpty() ? "the port is empty; expected an integer 1-65535"
          : "not a port number; expected an integer 1-65535 written with the digits 0-9";
    }
    int p = Integer.parseInt(v);
    return p < 1 || p > 65535 ? "port " + p + " is out of range; expected 1-65535" : null;
  }

  /** A non-negative ISO-8601 duration. */
  public static Duration duration(Raw raw) {
    String v = text(raw, false);
    Duration d;
    try {
      d = Duration.parse(v);
    } catch (DateTimeParseException e) {
      throw new ConfigurationException(raw.input(), raw.value(),
          "expected an ISO-8601 duration such as PT90S, PT2M or PT0S (to turn the window off)");
    }
    if (d.isNegative()) {
      throw new ConfigurationException(raw.input(), raw.value(),
          "must not be negative; use PT0S to turn the window off");
    }
    return d;
  }

  /**
   * {@code GCE_METADATA_HOST}: {@code host[:port]}, the host a name, an IPv4 address or an IPv6 address
   * in brackets. No scheme, path, user info or spaces: google-auth puts the value straight into a URL.
   */
  public static String metadataHost(Raw raw) {
    String v = text(raw, false);
    if (v.contains("/")) {
      throw new ConfigurationException(raw.input(), raw.value(),
          "give host[:port] only, without a scheme or path (e.g. 127.0.0.1:8089); http:// is implied");
    }
    String host;
    String port = null;
    if (v.startsWith("[")) {
      int close = v.indexOf(']');
      if (close < 0) {
        throw new ConfigurationException(raw.input(), raw.value(), "an IPv6 address needs its closing ']'");
      }
      host = v.substring(0, close + 1);
      String rest = v.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw new ConfigurationException(raw.input(), raw.value(), "expected host[:port], e.g. [fd00::1]:8089");
        }
        port = rest.substring(1);
      }
      if (!Hosts.isIpLiteral(host)) {
        throw new ConfigurationException(raw.input(), raw.value(), "'" + host + "' is not an IPv6 address");
      }
    } else {
      int colon = v.indexOf(':');
      if (colon >= 0 && v.indexOf(':', colon + 1) >= 0) {
        throw new ConfigurationException(raw.input(), raw.value(),
            "write an IPv6 address in brackets, e.g. [fd00::1]:8089");
      }
      host = colon < 0 ? v : v.substring(0, colon);
      port = colon < 0 ? null : v.substring(colon + 1);
      if (!Hosts.isIpLiteral(host) && !Hosts.isUriHostName(host)) {
        throw new ConfigurationException(raw.input(), raw.value(),
            "expected host[:port] with a host name or IP address (letters, digits, '-' and '.'), "
                + "e.g. 127.0.0.1:8089 or metadata.google.internal");
      }
    }
    if (port != null) {
      String problem = portProblem(port);
      if (problem != null) {
        throw new ConfigurationException(raw.input(), raw.value(), problem);
      }
    }
    return v;
  }

  /**
   * {@code REDIS_TLS_CA}: a readable PEM file holding at least one certificate. Parsed now, because it is
   * a local file: a wrong file fails at start rather than at the first command.
   */
  public static Path pemFile(Raw raw) {
    String v = text(raw, false);
    Path file;
    try {
      file = Path.of(v);
    } catch (InvalidPathException e) {
      throw new ConfigurationException(raw.input(), raw.value(), "not a valid file path (" + e.getReason()
          + "); point it at the PEM file with the server CA certificate(s)");
    }
    if (!Files.isRegularFile(file)) {
      throw new ConfigurationException(raw.input(), raw.value(),
          (Files.isDirectory(file) ? "a directory, not a file" : "no such file")
              + "; point it at the PEM file with the server CA certificate(s) "
              + "(Memorystore: download server-ca.pem from the instance, or mount it from Secret Manager)");
    }
    if (!Files.isReadable(file)) {
      throw new ConfigurationException(raw.input(), raw.value(), "the file is not readable by this process");
    }
    try {
      Pem.certificates(file);
    } catch (IOException e) {
      throw new ConfigurationException(raw.input(), raw.value(), "not usable as the server CA (" + e.getMessage()
          + "); it must hold the instance's server CA certificate(s) as -----BEGIN CERTIFICATE----- blocks "
          + "(Memorystore: gcloud redis instances describe INSTANCE --format='value(serverCaCerts)')", e);
    }
    return file;
  }

  /** {@code PRIVATE_EGRESS_STATIC_IP}: an IPv4 or IPv6 address literal (IPv6 with or without brackets). */
  public static java.net.InetAddress ipAddress(Raw raw) {
    String v = text(raw, false);
    return Hosts.parseIpLiteral(v).orElseThrow(() -> new ConfigurationException(raw.input(), raw.value(),
        "expected one IPv4 or IPv6 address, e.g. 203.0.113.7 (the Cloud NAT static address the allow-list expects)"));
  }

  /** {@code PRIVATE_EGRESS_IP_ECHO}: an absolute {@code http://} or {@code https://} URL with a host. */
  public static java.net.URI httpUrl(Raw raw) {
    String v = text(raw, false);
    java.net.URI uri;
    try {
      uri = new java.net.URI(v);
    } catch (java.net.URISyntaxException e) {
      throw new ConfigurationException(raw.input(), raw.value(), "not a URL (" + e.getReason()
          + "); expected http(s)://host[:port][/path] of a service answering the caller's address as plain text");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null || uri.getUserInfo() != null) {
      throw new ConfigurationException(raw.input(), raw.value(), "expected http(s)://host[:port][/path] without "
          + "user info, of a service answering the caller's address as plain text (e.g. https://api.ipify.org)");
    }
    return uri;
  }

  // The list variables PRIVATE_EGRESS_HOSTS and PRIVATE_EGRESS_AUDIENCES.

  /**
   * {@code host=ip[,host=ip...]}: DNS overrides. A host listed twice gets both addresses (that is how
   * a name maps to an IPv4 and an IPv6 address). IP literals only; names are never resolved here.
   */
  public static Map<String, List<InetAddress>> hosts(Raw raw) {
    Map<String, List<InetAddress>> map = new LinkedHashMap<>();
    for (String e : entries(raw)) {
      int eq = e.indexOf('=');
      if (eq <= 0 || eq == e.length() - 1) {
        throw new ConfigurationException(raw.input(), raw.value(), "entry '" + e + "' is not host=ip; write e.g. "
            + "PRIVATE_EGRESS_HOSTS=my.api.private=127.0.0.1,cache.private=10.0.0.5");
      }
      String host = hostKey(raw, e.substring(0, eq).trim(), e);
      if (host.startsWith("*.")) {
        throw new ConfigurationException(raw.input(), raw.value(), "'" + e + "': overrides map exact names, not "
            + "wildcards (those are for PRIVATE_EGRESS_AUDIENCES); list each name, "
            + "e.g. a.corp.private=10.0.0.5,b.corp.private=10.0.0.6");
      }
      String ip = e.substring(eq + 1).trim();
      InetAddress literal = Hosts.parseIpLiteral(ip).orElseThrow(() -> new ConfigurationException(raw.input(),
          raw.value(), "'" + ip + "' for host " + host + " is not an IP address; overrides map names to IPv4 or "
              + "IPv6 literals, e.g. " + host + "=127.0.0.1 (names are never resolved here)"));
      try {
        // Attach the host name so logs and TLS see it; no lookup happens.
        map.computeIfAbsent(host, k -> new ArrayList<>()).add(InetAddress.getByAddress(host, literal.getAddress()));
      } catch (UnknownHostException impossible) {
        throw new IllegalStateException(impossible); // the address came from a parsed literal
      }
    }
    Map<String, List<InetAddress>> frozen = new LinkedHashMap<>();
    map.forEach((k, list) -> frozen.put(k, List.copyOf(list)));
    return Collections.unmodifiableMap(frozen);
  }

  /**
   * {@code host=audience[,...]}, where a host may be {@code *.suffix}. Each host may appear once: two
   * audiences for one host is a mistake, not "last wins". A wildcard must sit below a registrable
   * domain: {@code *.com} or {@code *.github.io} would send tokens to hosts anyone can register, so a
   * suffix that is itself on the public-suffix list is refused.
   */
  public static Map<String, String> audiences(Raw raw) {
    Map<String, String> map = new LinkedHashMap<>();
    for (String e : entries(raw)) {
      int eq = e.indexOf('=');
      if (eq <= 0 || eq == e.length() - 1) {
        throw new ConfigurationException(raw.input(), raw.value(), "entry '" + e + "' is not host=audience; "
            + "write e.g. PRIVATE_EGRESS_AUDIENCES=my.api.private=https://my-api.example.com,"
            + "*.corp.private=1234.apps.googleusercontent.com");
      }
      String host = hostKey(raw, e.substring(0, eq).trim(), e);
      if (host.startsWith("*.")) {
        checkWildcard(raw, host);
      }
      String audience = e.substring(eq + 1).trim();
      if (audience.chars().anyMatch(Character::isWhitespace)) {
        throw new ConfigurationException(raw.input(), raw.value(),
            "the audience for " + host + " holds a space; an audience is a URL or an OAuth client id");
      }
      if (map.putIfAbsent(host, audience) != null) {
        throw new ConfigurationException(raw.input(), raw.value(), "'" + host + "' is listed twice; give each host "
            + "one audience (names are compared in lower case, without a trailing dot)");
      }
    }
    return Collections.unmodifiableMap(map);
  }

  private static void checkWildcard(Raw raw, String key) {
    String suffix = key.substring(2);
    boolean publicSuffix;
    try {
      publicSuffix = InternetDomainName.from(suffix).isPublicSuffix();
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(raw.input(), raw.value(), "'" + key + "' is not a valid wildcard name");
    }
    if (publicSuffix) {
      throw new ConfigurationException(raw.input(), raw.value(), "'" + key + "' would send tokens to every host "
          + "under the public suffix '" + suffix + "', which anyone can register; name your own domain, "
          + "e.g. *.corp.example.com or *.corp.private");
    }
  }

  private static List<String> entries(Raw raw) {
    String v = ConfigValues.text(raw, false);
    List<String> list = new ArrayList<>();
    for (String entry : v.split(",")) {
      String e = entry.trim();
      if (!e.isEmpty()) {
        list.add(e);
      }
    }
    return list;
  }

  /**
   * The host in lower case without a trailing dot; {@code *.} only as a prefix. An IPv6 address is written in
   * brackets, as in a URL ({@code [::1]=...}), and kept in the short form OkHttp's {@code HttpUrl.host()} gives;
   * without brackets it is refused with that advice.
   */
  private static String hostKey(Raw raw, String host, String entry) {
    if (host.indexOf(':') >= 0) {
      boolean bracketed = host.startsWith("[") && host.endsWith("]");
      var v6 = Hosts.parseIpLiteral(host).filter(a -> a instanceof java.net.Inet6Address);
      if (bracketed && v6.isPresent()) {
        return Hosts.literal(v6.get()).replace("[", "").replace("]", "");
      }
      throw new ConfigurationException(raw.input(), raw.value(), "'" + host + "' in '" + entry + "': "
          + (v6.isPresent() ? "write an IPv6 address in brackets, as in a URL: [" + host + "]"
              + entry.substring(entry.indexOf('=')) : "not a host name or a bracketed IPv6 address"));
    }
    String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    String name = h.startsWith("*.") ? h.substring(2) : h;
    // Checked before lower-casing: toLowerCase maps the Kelvin sign to an ASCII 'k'.
    if (!Hosts.isHostName(name, true)) {
      String problem = name.indexOf('*') >= 0 ? "a wildcard is allowed only as a leading '*.'" : "not a host name";
      throw new ConfigurationException(raw.input(), raw.value(), "'" + host + "' in '" + entry + "': " + problem);
    }
    return h.toLowerCase(Locale.ROOT);
  }
}
