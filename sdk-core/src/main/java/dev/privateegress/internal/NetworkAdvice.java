package dev.privateegress.internal;

import dev.privateegress.AddressClass;
import dev.privateegress.EgressInfo;
import dev.privateegress.EgressMode;
import dev.privateegress.EgressScope;
import dev.privateegress.Target;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * What a failed DNS, TCP or TLS check most likely means, in words an on-call engineer can act on, from the
 * egress evidence known at that moment. Protocol-neutral: each protocol module adds its own hints (the
 * Redis ones live in sdk-redis). Also used by the HTTP and Redis clients to explain a failed call.
 */
public final class NetworkAdvice {
  private NetworkAdvice() {}

  /** A short human description of a connect failure, e.g. {@code refused} or {@code no answer in 2000 ms}. */
  public static String describe(IOException e, Duration timeout) {
    if (e instanceof SocketTimeoutException) {
      return "no answer in " + timeout.toMillis() + " ms";
    }
    if (e instanceof ConnectException) {
      String m = e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
      return m.contains("refused") ? "refused" : "failed (" + e.getMessage() + ")";
    }
    if (e instanceof NoRouteToHostException) {
      return "no route to host";
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")");
  }

  /** Advice for a name that does not exist (NXDOMAIN), using what is known about egress. */
  public static String unresolved(EgressInfo known, String host) {
    String local = " For local development map it: PRIVATE_EGRESS_HOSTS=" + host + "=127.0.0.1.";
    if (known.mode() == EgressMode.NONE) {
      return "no VPC egress (mode none, from " + known.source() + "): names in private Cloud DNS zones resolve "
          + "only through VPC egress. Attach a Serverless VPC Access connector or Direct VPC egress." + local;
    }
    if (known.mode().reachesVpc()) {
      return "private zone not visible: egress reaches the VPC (" + known.mode() + ", from " + known.source()
          + ") but the name is unknown there. Check the record exists and that the private Cloud DNS zone "
          + "lists the VPC network this service egresses into." + local;
    }
    return "no VPC egress, or the private zone not visible: " + host + " does not exist for this resolver. A name "
        + "in a private Cloud DNS zone resolves only with VPC egress (connector or Direct VPC) into a network the "
        + "zone lists; egress here is " + known.mode() + " (" + known.source() + "). Declare it with "
        + "PRIVATE_EGRESS_MODE to sharpen this advice." + local;
  }

  /**
   * Advice for a failed lookup, by what the resolver itself answered ({@link DnsProbe}): each DNS outcome is
   * its own cause, named first.
   */
  public static String unresolved(EgressInfo known, String host, DnsProbe.Outcome outcome) {
    return switch (outcome) {
      case NXDOMAIN, UNKNOWN -> unresolved(known, host);
      case NODATA -> "no such record type (NODATA): " + host + " exists in DNS but has no A or AAAA record (only "
          + "other types, e.g. TXT or MX, or a CNAME that leads nowhere). Add an A record for it in the zone";
      case SERVFAIL -> "resolver failed (SERVFAIL): the resolver could not get an answer for " + host + ", a "
          + "temporary failure or a broken upstream (a forwarding or peering zone whose target does not answer, "
          + "DNSSEC validation). Retry; if it lasts, check the zone's forwarding targets and Cloud DNS logs";
      case REFUSED -> "resolver refused (REFUSED): the resolver in /etc/resolv.conf will not answer " + host
          + " for this client (an ACL or DNS server policy, or a server that is not a recursive resolver for this "
          + "network). On Google Cloud the resolver is 169.254.169.254; check resolv.conf and the DNS policy";
      case NO_ANSWER -> noAnswer(host, 0);
      case ANSWERED -> "resolver failed temporarily: " + host + " did not resolve, yet the resolver answers it now. "
          + "A transient DNS failure; retry (awaitReady does)";
    };
  }

  /**
   * For exceptions: why {@code host} did not resolve, asked of the system resolver ({@link DnsProbe}, at most
   * one second), and what to do, e.g. {@code NXDOMAIN, the name does not exist: private zone not visible: ...}.
   */
  public static String lookupFailed(EgressInfo known, String host) {
    DnsProbe.Outcome outcome = DnsProbe.classify(host, DnsProbe.nameservers(DnsProbe.RESOLV_CONF), Duration.ofSeconds(1));
    return NetworkChecks.describe(outcome) + ": " + unresolved(known, host, outcome);
  }

  /** Advice for a resolver that did not answer at all. */
  public static String noAnswer(String host, long millis) {
    return "resolver did not answer" + (millis > 0 ? " within " + millis + " ms" : "") + ": the DNS server is "
        + "unreachable or drops queries. With all-traffic egress DNS queries go through the VPC: check the firewall "
        + "rules for the connector or Direct VPC subnet and the network's DNS settings; on a laptop check the "
        + "network, or map the name with PRIVATE_EGRESS_HOSTS=" + host + "=IP";
  }

  /** Advice for a failed TCP connect. */
  public static String connect(EgressInfo known, Target target, InetSocketAddress address, IOException e) {
    AddressClass c = AddressClass.of(address.getAddress());
    if (e instanceof ConnectException && String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("refused")) {
      if (c == AddressClass.LOOPBACK) {
        return "nothing listens on " + Hosts.hostPort(address.getAddress(), target.port())
            + ": the local process or sidecar (e.g. an auth proxy) is not started yet or uses another port; "
            + "wait for it with awaitReady or a startup probe";
      }
      return "the host answered but refused port " + target.port()
          + ": the service is down or listens on another port.";
    }
    if (c == AddressClass.PRIVATE && known.mode() == EgressMode.NONE) {
      return "no VPC egress (mode none, from " + known.source() + "): private addresses are unreachable. "
          + "Attach a Serverless VPC Access connector or Direct VPC egress";
    }
    if (c == AddressClass.PRIVATE && e instanceof NoRouteToHostException) {
      return "a firewall rejects the connection (ICMP administratively prohibited / no route to "
          + address.getAddress().getHostAddress() + "): check that a firewall rule allows the connector's /28 or "
          + "the Direct VPC subnet range to reach port " + target.port() + ", and the VPC's routes to that range; "
          + "egress here is " + known.mode() + " (" + known.source() + ")";
    }
    if (c == AddressClass.PRIVATE && !known.mode().reachesVpc()) {
      return "no VPC egress, or a firewall drops the packets: nothing proves this instance reaches the VPC (egress "
          + known.mode() + ", from " + known.source() + "). Attach a Serverless VPC Access connector or Direct VPC "
          + "egress; if one is attached, check that a firewall rule allows the connector's /28 or the Direct VPC "
          + "subnet range to reach port " + target.port();
    }
    if (c == AddressClass.PRIVATE) {
      return "packets are dropped: check that a firewall rule allows the connector's /28 or the Direct VPC "
          + "subnet range to reach port " + target.port() + ", that the egress network is the one the "
          + "endpoint lives in, and (Direct VPC) that the instance is past its first minute; "
          + "egress here is " + known.mode() + " (" + known.source() + ")";
    }
    if (c == AddressClass.PUBLIC && known.scope() == EgressScope.ALL_TRAFFIC) {
      return "with all-traffic egress, internet destinations need Cloud NAT on the VPC; check the NAT "
          + "gateway and firewall egress rules";
    }
    return "the address did not accept a connection: check the port, firewalls and that the service is up";
  }

  static String describeTls(IOException e) {
    Throwable root = Util.rootCause(e);
    String m = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    return root == e || root.getMessage() == null || m.contains(root.getMessage()) ? m
        : m + " (" + root.getMessage() + ")";
  }

  /** Maps a failed handshake to its likely cause. */
  static String tls(Target target, InetSocketAddress address, IOException e, Duration timeout,
      SSLSocketFactory factory) {
    String all = chainText(e);
    if (e instanceof SocketTimeoutException) {
      return "no TLS answer in " + timeout.toMillis() + " ms: the port probably speaks plaintext and waits for "
          + "the client to speak first. Use " + plainScheme(target) + "://, or the TLS port";
    }
    if (all.contains("unrecognized ssl message") || all.contains("plaintext connection")
        || all.contains("unsupported or unrecognized")) {
      return "plaintext port: the server answered without TLS. Use " + plainScheme(target)
          + ":// for this port, or the port that serves TLS";
    }
    if (has(e, CertificateExpiredException.class) || all.contains("validity check failed")) {
      return "the server's certificate has expired (or the clock is wrong): renew the certificate";
    }
    if (has(e, CertificateNotYetValidException.class)) {
      return "the server's certificate is not valid yet: check the clock, or the certificate's start date";
    }
    if (all.contains("no subject alternative") || all.contains("no name matching")) {
      return "hostname mismatch: the certificate does not name " + target.host() + peerNames(address, target)
          + ". Connect with a name the certificate lists, or reissue it with this name";
    }
    if (all.contains("pkix path") || all.contains("unable to find valid certification path")
        || all.contains("certpath") || all.contains("trust anchor")) {
      return "wrong CA: the server's chain does not lead to a CA this client trusts" + peerIssuer(address, target)
          + ". Add the server's CA to the trust store (javax.net.ssl.trustStore), or use a publicly trusted "
          + "or Certificate Manager certificate";
    }
    if (all.contains("handshake_failure") || all.contains("protocol_version") || all.contains("no appropriate protocol")
        || all.contains("no cipher suites")) {
      return "no common TLS version or cipher suite: the server needs settings this JVM refuses (TLS 1.2+ expected)";
    }
    if (e instanceof EOFException || all.contains("remote host terminated") || all.contains("connection reset")) {
      return "the server closed the connection during the handshake: wrong port (plaintext service), a proxy "
          + "that expects another protocol, or mutual TLS required";
    }
    return "TLS handshake failed: check that " + target.host() + ":" + target.port() + " serves TLS and that its "
        + "certificate is issued for this name by a CA the client trusts";
  }

  private static String plainScheme(Target target) {
    return switch (target.scheme()) {
      case "https" -> "http";
      case "rediss" -> "redis";
      default -> target.scheme();
    };
  }

  private static String chainText(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      sb.append(t.getClass().getName()).append(": ").append(t.getMessage()).append('\n');
    }
    return sb.toString().toLowerCase(Locale.ROOT);
  }

  private static boolean has(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /** ", it names DNS:a, IP:10.0.0.3" read from an unverified second handshake, or "" when that fails. */
  private static String peerNames(InetSocketAddress address, Target target) {
    X509Certificate cert = inspect(address, target);
    if (cert == null) {
      return "";
    }
    List<String> names = new ArrayList<>();
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          Object type = san.get(0);
          if (Integer.valueOf(2).equals(type)) {
            names.add("DNS:" + san.get(1));
          } else if (Integer.valueOf(7).equals(type)) {
            names.add("IP:" + san.get(1));
          }
        }
      }
    } catch (CertificateParsingException ignored) {
      // fall back to the subject below
    }
    return names.isEmpty() ? " (its subject is " + cert.getSubjectX500Principal().getName() + ")"
        : " (it names " + String.join(", ", names) + ")";
  }

  private static String peerIssuer(InetSocketAddress address, Target target) {
    X509Certificate cert = inspect(address, target);
    return cert == null ? "" : " (the certificate is issued by " + cert.getIssuerX500Principal().getName() + ")";
  }

  /**
   * Reads the server's certificate without verifying it, only to explain a handshake that already failed
   * verification. Nothing is sent after the handshake and the connection is closed at once.
   */
  private static X509Certificate inspect(InetSocketAddress address, Target target) {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {new InspectOnly()}, null);
      try (Socket plain = new Socket()) {
        plain.connect(address, 2000);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, target.host(), target.port(), true)) {
          s.setSoTimeout(2000);
          s.startHandshake();
          Certificate[] peer = s.getSession().getPeerCertificates();
          return peer.length > 0 && peer[0] instanceof X509Certificate c ? c : null;
        }
      }
    } catch (IOException | GeneralSecurityException e) {
      return null;
    }
  }

  /** Accepts any chain: used by {@link #inspect} only, never for a connection that carries data. */
  private static final class InspectOnly implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
      throw new UnsupportedOperationException("inspection only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
      // Deliberately empty: the certificate is only read to describe an earlier verification failure.
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
