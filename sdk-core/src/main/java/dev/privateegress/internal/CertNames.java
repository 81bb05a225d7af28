package dev.privateegress.internal;

import java.net.InetAddress;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The server-name rule the SDK's Redis client applies to Memorystore certificates, so that core's TLS
 * check (doctor without sdk-redis) accepts exactly what that client accepts: an IP matches an IP
 * subject-alternative name, or the certificate's CN when it has no IP SAN at all; a DNS name matches a DNS
 * SAN (one left-most {@code *} label allowed), or the CN when there is no DNS SAN.
 */
public final class CertNames {
  private CertNames() {}

  /**
   * Empty when {@code cert} names one of {@code names}; otherwise what it does name, e.g. {@code CN=x, IP
   * SANs [..], DNS SANs [..]}.
   */
  public static Optional<String> mismatch(X509Certificate cert, Collection<String> names) {
    List<InetAddress> ipSans = new ArrayList<>();
    List<String> ipText = new ArrayList<>();
    List<String> dnsSans = new ArrayList<>();
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          Object type = san.get(0);
          String value = String.valueOf(san.get(1));
          if (Integer.valueOf(7).equals(type)) {
            ipText.add(value);
            Hosts.parseIpLiteral(value).ifPresent(ipSans::add);
          } else if (Integer.valueOf(2).equals(type)) {
            dnsSans.add(value);
          }
        }
      }
    } catch (CertificateParsingException e) {
      return Optional.of("unreadable subject alternative names (" + e.getMessage() + ")");
    }
    String cn = commonName(cert);
    for (String name : names) {
      Optional<InetAddress> ip = Hosts.parseIpLiteral(name);
      if (ip.isPresent()) {
        if (ipSans.contains(ip.get())
            || ipText.isEmpty() && cn != null && Hosts.parseIpLiteral(cn).equals(ip)) {
          return Optional.empty();
        }
      } else if (dnsSans.stream().anyMatch(p -> dnsMatches(name, p))
          || dnsSans.isEmpty() && cn != null && dnsMatches(name, cn)) {
        return Optional.empty();
      }
    }
    return Optional.of("CN=" + cn + ", IP SANs " + ipText + ", DNS SANs " + dnsSans);
  }

  private static String commonName(X509Certificate cert) {
    try {
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return String.valueOf(rdn.getValue());
        }
      }
    } catch (InvalidNameException e) {
      return null;
    }
    return null;
  }

  static boolean dnsMatches(String host, String pattern) {
    String h = host.toLowerCase(Locale.ROOT);
    String p = pattern.toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    if (p.startsWith("*.")) {
      int dot = h.indexOf('.');
      return dot > 0 && h.substring(dot + 1).equals(p.substring(2)) && p.substring(2).contains(".");
    }
    return h.equals(p);
  }
}
