package dev.privateegress.internal;

import com.google.common.net.InternetDomainName;
import dev.privateegress.ConfigurationException;
import dev.privateegress.internal.ConfigSource.Raw;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Parsers for the list variables {@code PRIVATE_EGRESS_HOSTS} and {@code PRIVATE_EGRESS_AUDIENCES}. */
public final class HostMapParser {
  private HostMapParser() {}

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
