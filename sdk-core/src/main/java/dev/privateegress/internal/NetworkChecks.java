package dev.privateegress.internal;

import com.google.api.client.json.webtoken.JsonWebToken;

import dev.privateegress.AddressClass;
import dev.privateegress.CheckKind;
import dev.privateegress.CheckResult;
import dev.privateegress.EgressInfo;
import dev.privateegress.EgressScope;
import dev.privateegress.Platform;
import dev.privateegress.RedisSettings;
import dev.privateegress.Target;
import dev.privateegress.Token;
import dev.privateegress.spi.Reach;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The DNS, TCP, TLS and token checks behind {@code PrivateEgress.doctor}, {@code awaitReady} and the
 * {@link dev.privateegress.spi.CheckContext} that protocol checkers build on. A TCP connection accepted
 * by a private address is recorded as egress evidence (detection step 3).
 */
public final class NetworkChecks {
  /** How long {@link #dns(Target, Duration)} waits for the system resolver by default. */
  public static final Duration DEFAULT_DNS_TIMEOUT = Duration.ofSeconds(5);

  private final EgressRuntime context;
  private final EgressDetector detector;

  private final Supplier<List<InetSocketAddress>> nameservers;

  public NetworkChecks(EgressRuntime context, EgressDetector detector) {
    this(context, detector, () -> DnsProbe.nameservers(DnsProbe.RESOLV_CONF));
  }

  /** With the resolvers a failed lookup is classified against (the system's, read from resolv.conf, by default). */
  public NetworkChecks(EgressRuntime context, EgressDetector detector, Supplier<List<InetSocketAddress>> nameservers) {
    this.context = context;
    this.detector = detector;
    this.nameservers = nameservers;
  }

  /** What the resolver said, as the detail of a failed DNS check. */
  public static String describe(DnsProbe.Outcome outcome) {
    return switch (outcome) {
      case NXDOMAIN -> "NXDOMAIN, the name does not exist";
      case NODATA -> "NODATA, no A or AAAA record";
      case SERVFAIL -> "SERVFAIL from the resolver";
      case REFUSED -> "REFUSED by the resolver";
      case NO_ANSWER -> "the resolver did not answer";
      case ANSWERED -> "the resolver answers now";
      case UNKNOWN -> "no resolver to ask why";
    };
  }

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
   * Resolves the target (bounded by {@code timeout}) and, when that worked, opens and closes one TCP
   * connection; the common first two checks of every checker.
   */
  public Reach reach(Target target, Duration timeout) {
    Resolution dns = dns(target, timeout);
    if (dns.addresses().isEmpty()) {
      return new Reach(List.of(dns.result()), List.of());
    }
    return new Reach(List.of(dns.result(), tcp(target, dns.addresses(), timeout)), dns.addresses());
  }

  /** Resolves a host name; the seam tests use to stand in for the system resolver. */
  @FunctionalInterface
  public interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  /**
   * Resolves the target's host through {@code PRIVATE_EGRESS_HOSTS} first, then the system resolver
   * (waiting at most {@code timeout}), and classifies each address (private/public/loopback). The JDK's
   * lookup has no timeout of its own (an unreachable resolver blocks for the OS's retries), so it runs on a
   * short-lived daemon thread; after {@code timeout} the check fails and that thread is left to finish on
   * its own. Overrides and IP literals need no lookup and no thread.
   */
  public Resolution dns(Target target, Duration timeout) {
    return dns(target, timeout, InetAddress::getAllByName, nameservers.get());
  }

  /** With another resolver; a failed lookup is not classified (there is no resolver to ask why). */
  public Resolution dns(Target target, Duration timeout, Resolver resolver) {
    return dns(target, timeout, resolver, List.of());
  }

  /**
   * With another resolver, and the DNS servers a failed lookup is classified against ({@link DnsProbe}): each
   * outcome (NXDOMAIN, NODATA, SERVFAIL, REFUSED, no answer) gets its own cause and advice.
   */
  public Resolution dns(Target target, Duration timeout, Resolver resolver, List<InetSocketAddress> servers) {
    long start = System.nanoTime();
    String host = target.host();
    List<InetAddress> addresses;
    String via;
    List<InetAddress> overridden = context.config().hostOverrides().get(host.toLowerCase(Locale.ROOT));
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
      long left = Math.max(250, timeout.toMillis() - Util.millisSince(start));
      DnsProbe.Outcome outcome = DnsProbe.classify(host, servers, Duration.ofMillis(Math.min(left, 1500)));
      return new Resolution(CheckResult.fail(target, CheckKind.DNS, Util.millisSince(start),
          host + " does not resolve: " + describe(outcome) + " (" + e.getMessage() + ")",
          NetworkAdvice.unresolved(detector.known(), host, outcome)), List.of());
    } catch (TimeoutException e) {
      return new Resolution(CheckResult.fail(target, CheckKind.DNS, Util.millisSince(start),
          "DNS did not answer within " + timeout.toMillis() + " ms for " + host,
          NetworkAdvice.noAnswer(host, timeout.toMillis())), List.of());
    }
    StringJoiner detail = new StringJoiner(", ", host + " -> ", " via " + via);
    boolean anyPublic = false;
    for (InetAddress a : addresses) {
      AddressClass c = AddressClass.of(a);
      anyPublic |= c == AddressClass.PUBLIC;
      detail.add(Hosts.literal(a) + " (" + c + ")");
    }
    EgressInfo known = detector.known();
    if (anyPublic && known.scope() == EgressScope.PRIVATE_RANGES_ONLY && publicByDesign(host)) {
      // Google's public front ends are meant to be reached this way; only note the route.
      return new Resolution(CheckResult.pass(target, CheckKind.DNS, Util.millisSince(start), detail
          + "; takes the public path, not the VPC (private-ranges-only, from " + known.source()
          + "); a Cloud Run service with internal ingress needs all-traffic egress"), addresses);
    }
    if (anyPublic && known.scope() == EgressScope.PRIVATE_RANGES_ONLY) {
      return new Resolution(CheckResult.fail(target, CheckKind.DNS, Util.millisSince(start), detail.toString(),
          "route bypasses the VPC: the address is public but egress scope is private-ranges-only ("
              + known.source() + "), so this traffic goes out the internet path, not through the VPC and its "
              + "Cloud NAT static IP. Use egress all-traffic, or point the name at a private address"),
          addresses);
    }
    return new Resolution(CheckResult.pass(target, CheckKind.DNS, Util.millisSince(start), detail.toString()),
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
   * The {@code egress-ip} check, when {@code PRIVATE_EGRESS_IP_ECHO} is set: one GET to the echo (resolved like
   * any target, so {@code PRIVATE_EGRESS_HOSTS} applies), whose plain-text body is the address the internet saw,
   * compared with {@code PRIVATE_EGRESS_STATIC_IP}. A mismatch or an unreachable echo is explained by the
   * egress scope: private-ranges-only sends public traffic out the instance's own path, not through Cloud NAT;
   * all-traffic needs Cloud NAT for the subnet, with the static address.
   */
  public Optional<CheckResult> egressIp(Duration timeout) {
    Optional<java.net.URI> echo = context.config().ipEcho();
    if (echo.isEmpty()) {
      return Optional.empty();
    }
    java.net.URI uri = echo.get();
    boolean tls = uri.getScheme().equalsIgnoreCase("https");
    Target target = Target.parse(uri.getScheme() + "://" + uri.getRawAuthority() + "/");
    long start = System.nanoTime();
    Optional<InetAddress> expected = context.config().staticIp();
    EgressInfo known = detector.known();
    Resolution dns = dns(target, timeout);
    if (dns.addresses().isEmpty()) {
      return Optional.of(CheckResult.fail(target, CheckKind.EGRESS_IP, Util.millisSince(start),
          "the address echo does not resolve: " + dns.result().detail(), dns.result().advice()));
    }
    String body;
    try {
      body = EchoGet.get(uri, dns.addresses(), tls, timeout);
    } catch (IOException e) {
      String detail = "no answer from the address echo " + uri + ": " + NetworkAdvice.describe(e, timeout);
      String advice = known.scope() == EgressScope.PRIVATE_RANGES_ONLY
          ? "the address echo is unreachable by the instance's own internet path (private-ranges-only): check "
              + "PRIVATE_EGRESS_IP_ECHO and that the echo is up"
          : "all-traffic without Cloud NAT: with all-traffic egress internet traffic enters the VPC, and without a "
              + "Cloud NAT gateway for the connector's /28 or the Direct VPC subnet it has no way out. Configure "
              + "Cloud NAT for that subnet" + expected.map(a -> " with the static address " + a.getHostAddress())
                  .orElse("") + (known.scope() == EgressScope.ALL_TRAFFIC ? ""
                  : "; egress scope is " + known.scope() + " here (" + known.source() + "), so also check "
                      + "PRIVATE_EGRESS_IP_ECHO and that the echo is up");
      return Optional.of(CheckResult.fail(target, CheckKind.EGRESS_IP, Util.millisSince(start), detail, advice));
    }
    Optional<InetAddress> seen = Hosts.parseIpLiteral(body);
    if (seen.isEmpty()) {
      return Optional.of(CheckResult.fail(target, CheckKind.EGRESS_IP, Util.millisSince(start),
          "the address echo answered " + Util.escapeControls(body.length() > 60 ? body.substring(0, 60) + "..." : body),
          "PRIVATE_EGRESS_IP_ECHO must answer the caller's address alone as plain text (e.g. https://api.ipify.org)"));
    }
    String observed = seen.get().getHostAddress();
    if (expected.isEmpty()) {
      return Optional.of(CheckResult.pass(target, CheckKind.EGRESS_IP, Util.millisSince(start),
          "public traffic leaves from " + observed + " (no PRIVATE_EGRESS_STATIC_IP to compare with)"));
    }
    String wanted = expected.get().getHostAddress();
    if (seen.get().equals(expected.get())) {
      return Optional.of(CheckResult.pass(target, CheckKind.EGRESS_IP, Util.millisSince(start),
          "public traffic leaves from " + observed + ", the static address PRIVATE_EGRESS_STATIC_IP"));
    }
    String detail = "public traffic leaves from " + observed + ", not from the static address " + wanted;
    String pro = "private-ranges-only sends public traffic without Cloud NAT: only private ranges enter the VPC, "
        + "so this traffic leaves by the instance's own path and allow-lists expecting " + wanted + " refuse it. "
        + "Set egress to all-traffic (gcloud run services update SERVICE --vpc-egress=all-traffic)";
    String nat = "Cloud NAT is not configured for the subnet with the static address: traffic goes through the "
        + "VPC but leaves as " + observed + ". Configure the Cloud NAT gateway for the connector's /28 or the Direct "
        + "VPC subnet with the manual address " + wanted;
    String advice = switch (known.scope()) {
      case PRIVATE_RANGES_ONLY -> pro;
      case ALL_TRAFFIC -> nat;
      default -> pro + ". Or, with all-traffic already: " + nat + ". (Egress scope is unknown here; declare it with "
          + "PRIVATE_EGRESS_SCOPE to sharpen this advice)";
    };
    return Optional.of(CheckResult.fail(target, CheckKind.EGRESS_IP, Util.millisSince(start), detail, advice));
  }

  /**
   * Opens (and closes) a TCP connection to the first address that accepts within {@code timeout},
   * trying each resolved address in turn.
   */
  public CheckResult tcp(Target target, List<InetAddress> addresses, Duration timeout) {
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
          detector.recordProbe(target.host(), address); // egress detection step 3: proof of VPC egress
        }
        return CheckResult.pass(target, CheckKind.TCP, Util.millisSince(start),
            "connected to " + Hosts.hostPort(a, target.port()) + " in " + Util.millisSince(t0) + " ms");
      } catch (IOException e) {
        last = e;
        lastAddress = address;
        failures.add(Hosts.hostPort(a, target.port()) + " " + NetworkAdvice.describe(e, timeout));
        context.listener().connectFailed(target.host(), address, e);
      }
    }
    if (last == null) {
      return CheckResult.fail(target, CheckKind.TCP, Util.millisSince(start), "no address to connect to",
          "fix DNS first");
    }
    return CheckResult.fail(target, CheckKind.TCP, Util.millisSince(start), String.join("; ", failures),
        NetworkAdvice.connect(detector.known(), target, lastAddress, last));
  }

  /**
   * TLS handshake with the target over the first address that accepts TCP, verifying the chain with
   * {@code factory} and the certificate's names against the target host (HTTPS rules). Reports protocol,
   * cipher suite, the peer's subject and its expiry; never sends application data.
   */
  public CheckResult tls(Target target, List<InetAddress> addresses, Duration timeout, SSLSocketFactory factory) {
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
        connectFailures.add(Hosts.hostPort(a, target.port()) + " " + NetworkAdvice.describe(e, timeout));
        continue;
      }
      String where = Hosts.hostPort(a, target.port());
      try (SSLSocket s = (SSLSocket) factory.createSocket(plain, target.host(), target.port(), true)) {
        s.setSoTimeout(millis);
        SSLParameters params = s.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(params);
        s.startHandshake();
        SSLSession session = s.getSession();
        StringBuilder detail = new StringBuilder(session.getProtocol()).append(' ')
            .append(session.getCipherSuite()).append(" with ").append(where);
        Certificate[] peer = session.getPeerCertificates();
        if (peer.length > 0 && peer[0] instanceof X509Certificate cert) {
          Instant notAfter = cert.getNotAfter().toInstant();
          long days = Duration.between(context.clock().instant(), notAfter).toDays();
          detail.append(", peer ").append(cert.getSubjectX500Principal().getName())
              .append(", expires ").append(notAfter).append(" (").append(days).append(" days)");
          if (days < 14) {
            detail.append(" - renew soon");
          }
        }
        detail.append(", hostname verified");
        return CheckResult.pass(target, CheckKind.TLS, Util.millisSince(start), detail.toString());
      } catch (IOException e) {
        closeQuietly(plain);
        return CheckResult.fail(target, CheckKind.TLS, Util.millisSince(start),
            where + " handshake failed: " + NetworkAdvice.describeTls(e), NetworkAdvice.tls(target, address, e, timeout, factory));
      }
    }
    return CheckResult.fail(target, CheckKind.TLS, Util.millisSince(start), String.join("; ", connectFailures),
        NetworkAdvice.connect(detector.known(), target, lastAddress, lastConnect));
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
   * an audience ({@code EgressConfig.audienceFor}), an access token for the Redis target when {@code
   * REDIS_IAM_AUTH=true}. Mints (or takes from the cache) and reports audience, e-mail and expiry; the token
   * text never appears. Empty when the target gets no token.
   */
  public Optional<CheckResult> token(Target target) {
    boolean http = target.scheme().startsWith("http");
    if (http) {
      Optional<String> audience = context.config().audienceFor(target.host());
      return audience.map(aud -> idTokenCheck(target, aud));
    }
    Optional<RedisSettings> redis = context.config().redis();
    if (target.scheme().startsWith("redis") && redis.isPresent() && redis.get().iamAuth()
        && redis.get().host().equalsIgnoreCase(target.host())) {
      return Optional.of(accessTokenCheck(target));
    }
    return Optional.empty();
  }

  private CheckResult idTokenCheck(Target target, String audience) {
    long start = System.nanoTime();
    Token token;
    try {
      token = context.tokens().idToken(audience);
    } catch (RuntimeException e) {
      return CheckResult.fail(target, CheckKind.TOKEN, Util.millisSince(start),
          "no ID token for audience " + audience + ": " + e.getMessage(), tokenAdvice(true, e));
    }
    Instant now = context.clock().instant();
    StringBuilder detail = new StringBuilder("ID token");
    Optional<JsonWebToken.Payload> claims = Util.jwtClaims(token.value());
    List<String> audiences = new ArrayList<>();
    if (claims.isPresent()) {
      audiences.addAll(claims.get().getAudienceAsList());
      detail.append(" aud=").append(audiences.isEmpty() ? "(none)" : String.join(",", audiences));
      if (claims.get().get("email") instanceof String email) {
        detail.append(" email=").append(email);
      }
    } else {
      detail.append(" (opaque, not a JWT) for audience ").append(audience);
    }
    detail.append(" exp=").append(token.expiresAt()).append(" (")
        .append(token.remaining(now).toMinutes()).append(" min left)");
    if (claims.isPresent() && !audiences.contains(audience)) {
      return CheckResult.fail(target, CheckKind.TOKEN, Util.millisSince(start), detail.toString(),
          "wrong audience: asked for " + audience + " but the token is for " + audiences + ". User credentials "
              + "(gcloud auth application-default login) ignore the audience; use service-account impersonation: "
              + "gcloud auth application-default login --impersonate-service-account=SA_EMAIL");
    }
    if (!token.remaining(now).isNegative()) {
      return CheckResult.pass(target, CheckKind.TOKEN, Util.millisSince(start), detail.toString());
    }
    return CheckResult.fail(target, CheckKind.TOKEN, Util.millisSince(start), detail.toString(),
        "the token source handed out an expired token: check the machine clock");
  }

  private CheckResult accessTokenCheck(Target target) {
    long start = System.nanoTime();
    try {
      Token token = context.tokens().accessToken();
      return CheckResult.pass(target, CheckKind.TOKEN, Util.millisSince(start), "access token for Redis IAM auth, exp="
          + token.expiresAt() + " (" + token.remaining(context.clock().instant()).toMinutes() + " min left)");
    } catch (RuntimeException e) {
      return CheckResult.fail(target, CheckKind.TOKEN, Util.millisSince(start),
          "no access token for Redis IAM auth: " + e.getMessage(), tokenAdvice(false, e));
    }
  }

  private String tokenAdvice(boolean id, RuntimeException e) {
    Throwable root = Util.rootCause(e);
    if (context.platform() != Platform.LOCAL && (root instanceof java.net.ConnectException
        || root instanceof UnknownHostException || root instanceof java.net.SocketTimeoutException
        || root instanceof java.net.NoRouteToHostException)) {
      return "metadata server unreachable: on Google Cloud tokens come from the metadata server at "
          + context.config().metadataHost().orElse("169.254.169.254 (metadata.google.internal)")
          + ", which did not answer (" + root.getClass().getSimpleName() + "). Check GCE_METADATA_HOST if set, and "
          + "that nothing in the container (a proxy variable, a firewall or an iptables rule) intercepts it";
    }
    if (context.platform() == Platform.LOCAL) { // already detected by the doctor or readiness caller
      return "no Google credentials on this machine: run gcloud auth application-default login "
          + "--impersonate-service-account=SA_EMAIL (needs roles/iam.serviceAccountTokenCreator on that account)"
          + (id ? "; plain user credentials cannot mint ID tokens for an audience" : "")
          + ", or point GOOGLE_APPLICATION_CREDENTIALS at a service-account key";
    }
    return "the token source refused: on Google Cloud check that the runtime service account exists and the "
        + "metadata server is reachable; with impersonation, the caller needs roles/iam.serviceAccountTokenCreator "
        + "on the target service account";
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
}
