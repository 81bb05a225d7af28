package dev.privateegress;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.privateegress.internal.CertNames;
import dev.privateegress.internal.Hosts;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The DNS, TCP, TLS and token checks shared by {@link PrivateEgress#doctor}, {@link PrivateEgress#awaitReady} and
 * the {@link TargetChecker}s of sdk-http and sdk-redis. Each failure carries advice that uses the egress
 * evidence known at that moment (never triggering detection I/O itself).
 */
public final class NetworkChecks {
  private NetworkChecks() {}

  /** A DNS check and the addresses it found (empty when it failed). */
  public record Resolution(CheckResult result, List<InetAddress> addresses) {
    public Resolution {
      addresses = List.copyOf(addresses);
    }

    public boolean ok() {
      return result.ok();
    }
  }

  /**
   * The DNS and TCP checks every checker starts with.
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

  /**
   * Resolves the target (bounded by {@code timeout}) and, when that worked, opens and closes one TCP
   * connection; the common first two checks of every {@link TargetChecker}.
   */
  public static Reach reach(PrivateEgress egress, Target target, Duration timeout) {
    Resolution dns = dns(egress, target, timeout);
    if (dns.addresses().isEmpty()) {
      return new Reach(List.of(dns.result()), List.of());
    }
    return new Reach(List.of(dns.result(), tcp(egress, target, dns.addresses(), timeout)), dns.addresses());
  }

  /** How long {@link #dns(PrivateEgress, Target)} waits for the system resolver. */
  public static final Duration DEFAULT_DNS_TIMEOUT = Duration.ofSeconds(5);

  /** Resolves a host name; the seam tests use to stand in for the system resolver. */
  @FunctionalInterface
  interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  /**
   * Resolves the target's host through {@code PRIVATE_EGRESS_HOSTS} first, then the system resolver
   * (waiting at most {@link #DEFAULT_DNS_TIMEOUT}), and classifies each address (private/public/loopback).
   */
  public static Resolution dns(PrivateEgress egress, Target target) {
    return dns(egress, target, DEFAULT_DNS_TIMEOUT);
  }

  /**
   * Like {@link #dns(PrivateEgress, Target)}, giving the system resolver at most {@code timeout}. The JDK's
   * lookup has no timeout of its own (an unreachable resolver blocks for the OS's retries), so it runs on a
   * short-lived daemon thread; after {@code timeout} the check fails and that thread is left to finish on
   * its own. Overrides and IP literals need no lookup and no thread.
   */
  public static Resolution dns(PrivateEgress egress, Target target, Duration timeout) {
    return dns(egress, target, timeout, InetAddress::getAllByName);
  }

  static Resolution dns(PrivateEgress egress, Target target, Duration timeout, Resolver resolver) {
    long start = System.nanoTime();
    String host = target.host();
    List<InetAddress> addresses;
    String via;
    List<InetAddress> overridden = egress.config().hostOverrides().get(host.toLowerCase(Locale.ROOT));
    try {
      if (overridden != null) {
        addresses = overridden;
        via = "PRIVATE_EGRESS_HOSTS";
      } else if (Hosts.isIpLiteral(host)) {
        addresses = List.of(InetAddress.getAllByName(host)); // parses the literal, no lookup
        via = "IP literal";
      } else {
        addresses = List.of(resolveWithin(host, timeout, resolver));
        via = "system resolver";
      }
    } catch (UnknownHostException e) {
      return new Resolution(CheckResult.fail(target, CheckKind.DNS, millisSince(start),
          host + " does not resolve (" + e.getMessage() + ")", unresolvedAdvice(egress, host)), List.of());
    } catch (TimeoutException e) {
      return new Resolution(CheckResult.fail(target, CheckKind.DNS, millisSince(start),
          "DNS did not answer within " + timeout.toMillis() + " ms for " + host,
          "resolver unreachable / VPC DNS not reachable: the DNS server did not answer. With all-traffic egress "
              + "DNS queries go through the VPC: check the firewall rules for the connector or Direct VPC subnet "
              + "and the network's DNS settings; on a laptop check the network, or map the name with "
              + "PRIVATE_EGRESS_HOSTS=" + host + "=IP"), List.of());
    }
    StringJoiner detail = new StringJoiner(", ", host + " -> ", " via " + via);
    boolean anyPublic = false;
    for (InetAddress a : addresses) {
      AddressClass c = AddressClass.of(a);
      anyPublic |= c == AddressClass.PUBLIC;
      detail.add(a.getHostAddress() + " (" + c + ")");
    }
    EgressInfo known = egress.knownEgress();
    if (anyPublic && known.scope() == EgressScope.PRIVATE_RANGES_ONLY && publicByDesign(host)) {
      // Google's public front ends are meant to be reached this way; only note the route.
      return new Resolution(CheckResult.pass(target, CheckKind.DNS, millisSince(start), detail
          + "; takes the public path, not the VPC (private-ranges-only, from " + known.source()
          + "); a Cloud Run service with internal ingress needs all-traffic egress"), addresses);
    }
    if (anyPublic && known.scope() == EgressScope.PRIVATE_RANGES_ONLY) {
      return new Resolution(CheckResult.fail(target, CheckKind.DNS, millisSince(start), detail.toString(),
          "route bypasses the VPC: the address is public but egress scope is private-ranges-only ("
              + known.source() + "), so this traffic goes out the internet path, not through the VPC and its "
              + "Cloud NAT static IP. Use egress all-traffic, or point the name at a private address"),
          addresses);
    }
    return new Resolution(CheckResult.pass(target, CheckKind.DNS, millisSince(start), detail.toString()),
        addresses);
  }

  private static InetAddress[] resolveWithin(String host, Duration timeout, Resolver resolver)
      throws UnknownHostException, TimeoutException {
    CompletableFuture<InetAddress[]> result = new CompletableFuture<>();
    Thread lookup = new Thread(() -> {
      try {
        result.complete(resolver.resolve(host));
      } catch (Throwable t) {
        result.completeExceptionally(t);
      }
    }, "private-egress-dns");
    lookup.setDaemon(true);
    lookup.start();
    try {
      return result.get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnknownHostException(host + ": interrupted while resolving");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof UnknownHostException u) {
        throw u;
      }
      if (c instanceof RuntimeException r) {
        throw r;
      }
      throw new UnknownHostException(host + ": " + c);
    }
  }

  /**
   * Opens (and closes) a TCP connection to the first address that accepts within {@code timeout},
   * trying each resolved address in turn.
   */
  public static CheckResult tcp(PrivateEgress egress, Target target, List<InetAddress> addresses, Duration timeout) {
    long start = System.nanoTime();
    List<String> failures = new ArrayList<>();
    IOException last = null;
    InetSocketAddress lastAddress = null;
    for (InetAddress a : addresses) {
      InetSocketAddress address = new InetSocketAddress(a, target.port());
      long t0 = System.nanoTime();
      try (Socket s = new Socket()) {
        s.connect(address, (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
        if (AddressClass.of(a) == AddressClass.PRIVATE) {
          egress.recordProbe(target.host(), address); // egress detection step 3: proof of VPC egress
        }
        return CheckResult.pass(target, CheckKind.TCP, millisSince(start),
            "connected to " + a.getHostAddress() + ":" + target.port() + " in " + millisSince(t0) + " ms");
      } catch (IOException e) {
        last = e;
        lastAddress = address;
        failures.add(a.getHostAddress() + ":" + target.port() + " " + describe(e, timeout));
        egress.listener().connectFailed(target.host(), address, e);
      }
    }
    if (last == null) {
      return CheckResult.fail(target, CheckKind.TCP, millisSince(start), "no address to connect to",
          "fix DNS first");
    }
    return CheckResult.fail(target, CheckKind.TCP, millisSince(start), String.join("; ", failures),
        connectAdvice(egress, target, lastAddress, last));
  }

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

  /** Advice for a name that does not resolve, using what is known about egress. */
  public static String unresolvedAdvice(PrivateEgress egress, String host) {
    EgressInfo known = egress.knownEgress();
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
    return "if " + host + " lives in a private Cloud DNS zone, it resolves only with VPC egress (connector or "
        + "Direct VPC) into a network the zone is visible to; egress here is " + known.mode() + " ("
        + known.source() + "). Declare it with PRIVATE_EGRESS_MODE to sharpen this advice." + local;
  }

  /** Advice for a failed TCP connect. */
  public static String connectAdvice(PrivateEgress egress, Target target, InetSocketAddress address, IOException e) {
    AddressClass c = AddressClass.of(address.getAddress());
    EgressInfo known = egress.knownEgress();
    if (e instanceof ConnectException && String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("refused")) {
      if (c == AddressClass.LOOPBACK) {
        return "nothing listens on " + address.getAddress().getHostAddress() + ":" + target.port()
            + ": the local process or sidecar (e.g. an auth proxy) is not started yet or uses another port; "
            + "wait for it with awaitReady or a startup probe";
      }
      String redisHint = target.scheme().startsWith("redis") && target.port() == 6379
          ? " Memorystore with in-transit encryption listens on 6378, not 6379." : "";
      return "the host answered but refused port " + target.port()
          + ": the service is down or listens on another port." + redisHint;
    }
    if (c == AddressClass.PRIVATE && known.mode() == EgressMode.NONE) {
      return "no VPC egress (mode none, from " + known.source() + "): private addresses are unreachable. "
          + "Attach a Serverless VPC Access connector or Direct VPC egress";
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

  /**
   * TLS handshake with the target over the first address that accepts TCP, verifying the chain with
   * {@code factory} and the certificate's names against the target host (HTTPS rules). Reports protocol,
   * cipher suite, the peer's subject and its expiry; never sends application data.
   *
   * @param factory e.g. {@code (SSLSocketFactory) SSLSocketFactory.getDefault()} or one built from a CA file
   */
  public static CheckResult tls(PrivateEgress egress, Target target, List<InetAddress> addresses, Duration timeout,
      SSLSocketFactory factory) {
    return tls(egress, target, addresses, timeout, factory, true);
  }

  /**
   * Like {@link #tls(PrivateEgress, Target, List, Duration, SSLSocketFactory)}; {@code verifyHostname=false}
   * replaces the HTTPS name rule with the one the SDK's Redis client applies to Memorystore (which names
   * its servers by IP, often only in the CN): the certificate must name the dialled IP (IP SAN, or the IP
   * as CN when there is no IP SAN) or the target host (DNS SAN, or CN when there is no DNS SAN).
   */
  public static CheckResult tls(PrivateEgress egress, Target target, List<InetAddress> addresses, Duration timeout,
      SSLSocketFactory factory, boolean verifyHostname) {
    long start = System.nanoTime();
    if (addresses.isEmpty()) {
      return CheckResult.fail(target, CheckKind.TLS, 0, "no address to connect to", "fix DNS first");
    }
    int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    List<String> connectFailures = new ArrayList<>();
    IOException lastConnect = null;
    InetSocketAddress lastAddress = null;
    for (InetAddress a : addresses) {
      InetSocketAddress address = new InetSocketAddress(a, target.port());
      Socket plain = new Socket();
      try {
        plain.connect(address, millis);
      } catch (IOException e) {
        closeQuietly(plain);
        lastConnect = e;
        lastAddress = address;
        connectFailures.add(a.getHostAddress() + ":" + target.port() + " " + describe(e, timeout));
        continue;
      }
      String where = a.getHostAddress() + ":" + target.port();
      try (SSLSocket s = (SSLSocket) factory.createSocket(plain, target.host(), target.port(), true)) {
        s.setSoTimeout(millis);
        if (verifyHostname) {
          SSLParameters params = s.getSSLParameters();
          params.setEndpointIdentificationAlgorithm("HTTPS");
          s.setSSLParameters(params);
        }
        s.startHandshake();
        SSLSession session = s.getSession();
        StringBuilder detail = new StringBuilder(session.getProtocol()).append(' ')
            .append(session.getCipherSuite()).append(" with ").append(where);
        Certificate[] peer = session.getPeerCertificates();
        if (peer.length > 0 && peer[0] instanceof X509Certificate cert) {
          Instant notAfter = cert.getNotAfter().toInstant();
          long days = Duration.between(egress.clock().instant(), notAfter).toDays();
          detail.append(", peer ").append(cert.getSubjectX500Principal().getName())
              .append(", expires ").append(notAfter).append(" (").append(days).append(" days)");
          if (days < 14) {
            detail.append(" - renew soon");
          }
        }
        if (!verifyHostname && peer.length > 0 && peer[0] instanceof X509Certificate cert) {
          Optional<String> names = CertNames.mismatch(cert, List.of(a.getHostAddress(), target.host()));
          if (names.isPresent()) {
            return CheckResult.fail(target, CheckKind.TLS, millisSince(start), where + " certificate names "
                + names.get() + ", neither " + a.getHostAddress() + " nor " + target.host(),
                "hostname mismatch: the Redis client would reject this certificate. Connect by the address the "
                    + "certificate names (Memorystore: the instance IP), or reissue it with this name");
          }
        }
        detail.append(verifyHostname ? ", hostname verified"
            : ", chain and name verified (IP SAN, or IP as CN without IP SANs, as the Redis client checks)");
        return CheckResult.pass(target, CheckKind.TLS, millisSince(start), detail.toString());
      } catch (IOException e) {
        closeQuietly(plain);
        return CheckResult.fail(target, CheckKind.TLS, millisSince(start),
            where + " handshake failed: " + describeTls(e), tlsAdvice(target, address, e, timeout, factory));
      }
    }
    return CheckResult.fail(target, CheckKind.TLS, millisSince(start), String.join("; ", connectFailures),
        connectAdvice(egress, target, lastAddress, lastConnect));
  }

  private static String describeTls(IOException e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    return root == e || root.getMessage() == null || m.contains(root.getMessage()) ? m
        : m + " (" + root.getMessage() + ")";
  }

  /** Maps a failed handshake to its likely cause. */
  static String tlsAdvice(Target target, InetSocketAddress address, IOException e, Duration timeout,
      SSLSocketFactory factory) {
    String all = chainText(e);
    if (e instanceof SocketTimeoutException) {
      return "no TLS answer in " + timeout.toMillis() + " ms: the port probably speaks plaintext and waits for "
          + "the client (Redis does). Use " + plainScheme(target) + "://, or the TLS port"
          + (target.scheme().startsWith("redis") ? " (Memorystore with in-transit encryption: 6378)" : "");
    }
    if (all.contains("unrecognized ssl message") || all.contains("plaintext connection")
        || all.contains("unsupported or unrecognized")) {
      return "plaintext port: the server answered without TLS. Use " + plainScheme(target)
          + ":// for this port, or the port that serves TLS"
          + (target.scheme().startsWith("redis") ? " (Memorystore with in-transit encryption: 6378)" : " (443)");
    }
    if (has(e, CertificateExpiredException.class) || all.contains("validity check failed")) {
      return "the server's certificate has expired (or the clock is wrong): renew the certificate";
    }
    if (has(e, CertificateNotYetValidException.class)) {
      return "the server's certificate is not valid yet: check the clock, or the certificate's start date";
    }
    if (all.contains("no subject alternative") || all.contains("no name matching")) {
      return "hostname mismatch: the certificate does not name " + target.host() + peerNames(address, target)
          + ". Connect with a name the certificate lists, or reissue it with this name"
          + (target.scheme().startsWith("redis") ? " (Memorystore certificates name the server by IP: "
              + "connect by IP and verify the chain against REDIS_TLS_CA)" : "");
    }
    if (all.contains("pkix path") || all.contains("unable to find valid certification path")
        || all.contains("certpath") || all.contains("trust anchor")) {
      return "wrong CA: the server's chain does not lead to a CA this client trusts" + peerIssuer(address, target)
          + ". " + (target.scheme().startsWith("redis")
              ? "Set REDIS_TLS_CA to the instance's server CA bundle (server-ca.pem; include both CAs during rotation)"
              : "Add the internal load balancer's CA to the trust store (javax.net.ssl.trustStore) or use a "
                  + "publicly trusted or Certificate Manager certificate");
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

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  /**
   * The token check for a target, when the target receives one: an ID token for http(s) hosts that have
   * an audience ({@link EgressConfig#audienceFor}), an access token for the Redis target when {@code
   * REDIS_IAM_AUTH=true}. Mints (or takes from the cache) and reports audience, e-mail and expiry; the token
   * text never appears. Empty when the target gets no token.
   */
  public static Optional<CheckResult> token(PrivateEgress egress, Target target) {
    boolean http = target.scheme().startsWith("http");
    if (http) {
      Optional<String> audience = egress.config().audienceFor(target.host());
      return audience.map(aud -> idTokenCheck(egress, target, aud));
    }
    Optional<RedisSettings> redis = egress.config().redis();
    if (target.scheme().startsWith("redis") && redis.isPresent() && redis.get().iamAuth()
        && redis.get().host().equalsIgnoreCase(target.host())) {
      return Optional.of(accessTokenCheck(egress, target));
    }
    return Optional.empty();
  }

  private static CheckResult idTokenCheck(PrivateEgress egress, Target target, String audience) {
    long start = System.nanoTime();
    Token token;
    try {
      token = egress.tokens().idToken(audience);
    } catch (RuntimeException e) {
      return CheckResult.fail(target, CheckKind.TOKEN, millisSince(start),
          "no ID token for audience " + audience + ": " + e.getMessage(), tokenAdvice(egress, true));
    }
    Instant now = egress.clock().instant();
    StringBuilder detail = new StringBuilder("ID token");
    Optional<JsonObject> claims = jwtClaims(token.value());
    List<String> audiences = new ArrayList<>();
    if (claims.isPresent()) {
      JsonElement aud = claims.get().get("aud");
      if (aud != null && aud.isJsonArray()) {
        aud.getAsJsonArray().forEach(x -> audiences.add(x.getAsString()));
      } else if (aud != null && aud.isJsonPrimitive()) {
        audiences.add(aud.getAsString());
      }
      detail.append(" aud=").append(audiences.isEmpty() ? "(none)" : String.join(",", audiences));
      JsonElement email = claims.get().get("email");
      if (email != null && email.isJsonPrimitive()) {
        detail.append(" email=").append(email.getAsString());
      }
    } else {
      detail.append(" (opaque, not a JWT) for audience ").append(audience);
    }
    detail.append(" exp=").append(token.expiresAt()).append(" (")
        .append(token.remaining(now).toMinutes()).append(" min left)");
    if (claims.isPresent() && !audiences.contains(audience)) {
      return CheckResult.fail(target, CheckKind.TOKEN, millisSince(start), detail.toString(),
          "wrong audience: asked for " + audience + " but the token is for " + audiences + ". User credentials "
              + "(gcloud auth application-default login) ignore the audience; use service-account impersonation: "
              + "gcloud auth application-default login --impersonate-service-account=SA_EMAIL");
    }
    if (!token.remaining(now).isNegative()) {
      return CheckResult.pass(target, CheckKind.TOKEN, millisSince(start), detail.toString());
    }
    return CheckResult.fail(target, CheckKind.TOKEN, millisSince(start), detail.toString(),
        "the token source handed out an expired token: check the machine clock");
  }

  private static CheckResult accessTokenCheck(PrivateEgress egress, Target target) {
    long start = System.nanoTime();
    try {
      Token token = egress.tokens().accessToken();
      return CheckResult.pass(target, CheckKind.TOKEN, millisSince(start), "access token for Redis IAM auth, exp="
          + token.expiresAt() + " (" + token.remaining(egress.clock().instant()).toMinutes() + " min left)");
    } catch (RuntimeException e) {
      return CheckResult.fail(target, CheckKind.TOKEN, millisSince(start),
          "no access token for Redis IAM auth: " + e.getMessage(), tokenAdvice(egress, false)
              + "; the principal also needs roles/redis.dbConnectionUser (Valkey: roles/memorystore.dbConnectionUser)");
    }
  }

  private static String tokenAdvice(PrivateEgress egress, boolean id) {
    if (egress.platform() == Platform.LOCAL) { // already detected by the doctor or readiness caller
      return "no Google credentials on this machine: run gcloud auth application-default login "
          + "--impersonate-service-account=SA_EMAIL (needs roles/iam.serviceAccountTokenCreator on that account)"
          + (id ? "; plain user credentials cannot mint ID tokens for an audience" : "")
          + ", or point GOOGLE_APPLICATION_CREDENTIALS at a service-account key";
    }
    return "the token source refused: on Google Cloud check that the runtime service account exists and the "
        + "metadata server is reachable; with impersonation, the caller needs roles/iam.serviceAccountTokenCreator "
        + "on the target service account";
  }

  /** The claims of a JWT, without verifying it (only for display of aud/exp/email). */
  static Optional<JsonObject> jwtClaims(String jwt) {
    String[] parts = jwt.split("\\.");
    if (parts.length < 2) {
      return Optional.empty();
    }
    try {
      String json = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
      JsonElement e = JsonParser.parseString(json);
      return e.isJsonObject() ? Optional.of(e.getAsJsonObject()) : Optional.empty();
    } catch (IllegalArgumentException | JsonParseException e) {
      return Optional.empty();
    }
  }

  /** Hosts that are public by design: their traffic bypassing the VPC is normal, not a fault. */
  static boolean publicByDesign(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    for (String suffix : List.of(".run.app", ".googleapis.com", ".cloudfunctions.net", ".appspot.com")) {
      if (h.endsWith(suffix)) {
        return true;
      }
    }
    return false;
  }

  static long millisSince(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
  }
}
