package dev.privateegress;

import dev.privateegress.internal.Hosts;
import dev.privateegress.internal.Pem;
import dev.privateegress.internal.UserInfo;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The parsed, validated configuration of a {@link PrivateEgress}: every variable of the README's
 * configuration table. Immutable. {@link #toString()} masks secrets.
 *
 * <p>Each value is taken from, in order: the builder, the Java system property (the variable name in
 * lower case with dots, e.g. {@code private.egress.mode}), the environment variable.
 */
public final class EgressConfig {
  /** Header names allowed in {@code PRIVATE_EGRESS_TOKEN_HEADER}. */
  public static final List<String> TOKEN_HEADERS =
      List.of("Authorization", "X-Serverless-Authorization", "Proxy-Authorization");

  static final Duration DEFAULT_STARTUP_GRACE = Duration.ofSeconds(90);

  private final EgressMode declaredMode;
  private final EgressScope declaredScope;
  private final boolean adminApiLookup;
  private final Map<String, List<InetAddress>> hosts;
  private final Map<String, String> audiences;
  private final String tokenHeader;
  private final Duration startupGrace;
  private final RedisSettings redis;
  private final String metadataHost;
  private final boolean noGceCheck;

  private EgressConfig(EgressMode declaredMode, EgressScope declaredScope, boolean adminApiLookup,
      Map<String, List<InetAddress>> hosts, Map<String, String> audiences, String tokenHeader,
      Duration startupGrace, RedisSettings redis, String metadataHost, boolean noGceCheck) {
    this.declaredMode = declaredMode;
    this.declaredScope = declaredScope;
    this.adminApiLookup = adminApiLookup;
    this.hosts = hosts;
    this.audiences = audiences;
    this.tokenHeader = tokenHeader;
    this.startupGrace = startupGrace;
    this.redis = redis;
    this.metadataHost = metadataHost;
    this.noGceCheck = noGceCheck;
  }

  /** {@code PRIVATE_EGRESS_MODE}: empty for {@code auto}. */
  public Optional<EgressMode> declaredMode() {
    return Optional.ofNullable(declaredMode);
  }

  /** {@code PRIVATE_EGRESS_SCOPE}: empty when not declared. */
  public Optional<EgressScope> declaredScope() {
    return Optional.ofNullable(declaredScope);
  }

  /** {@code PRIVATE_EGRESS_LOOKUP}: whether egress detection may read the platform's admin API. */
  public boolean adminApiLookup() {
    return adminApiLookup;
  }

  /** {@code PRIVATE_EGRESS_HOSTS}: DNS overrides, host (lower case) to addresses. */
  public Map<String, List<InetAddress>> hostOverrides() {
    return hosts;
  }

  /** {@code PRIVATE_EGRESS_AUDIENCES} as written: host or {@code *.suffix} to audience. */
  public Map<String, String> audiences() {
    return audiences;
  }

  /**
   * The ID-token audience for {@code host}, or empty when the host must never receive a token. Exact
   * entries win, then the longest matching {@code *.suffix} entry, then {@code https://host} for hosts
   * under {@code .run.app}.
   */
  public Optional<String> audienceFor(String host) {
    if (host == null || host.isEmpty()) {
      return Optional.empty();
    }
    String h = host.toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    String exact = audiences.get(h);
    if (exact != null) {
      return Optional.of(exact);
    }
    String best = null;
    int bestLength = -1;
    for (Map.Entry<String, String> e : audiences.entrySet()) {
      String key = e.getKey();
      if (key.startsWith("*.")) {
        String suffix = key.substring(1); // ".example.internal"
        if (h.endsWith(suffix) && h.length() > suffix.length() && suffix.length() > bestLength) {
          best = e.getValue();
          bestLength = suffix.length();
        }
      }
    }
    if (best != null) {
      return Optional.of(best);
    }
    if (h.endsWith(".run.app") && h.length() > ".run.app".length()) {
      return Optional.of("https://" + h);
    }
    return Optional.empty();
  }

  /**
   * The ID-token audience for a request to {@code host} over {@code https} ({@code tls} true) or plain http,
   * or empty when that request must not carry a token. Like {@link #audienceFor(String)}, except that a host
   * matched only by the implicit {@code .run.app} rule gets a token over https alone: a bearer token in
   * cleartext could be read and replayed by anyone on the path, and Cloud Run serves https anyway. Hosts the
   * user mapped in {@code PRIVATE_EGRESS_AUDIENCES} (exactly or by {@code *.suffix}) get one over plain http
   * too, e.g. an internal load balancer inside the VPC.
   */
  public Optional<String> audienceFor(String host, boolean tls) {
    Optional<String> audience = audienceFor(host);
    if (tls || audience.isEmpty() || mapped(host)) {
      return audience;
    }
    return Optional.empty();
  }

  /** True when {@code host} matches an entry of {@code PRIVATE_EGRESS_AUDIENCES}, not just the .run.app rule. */
  private boolean mapped(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    if (audiences.containsKey(h)) {
      return true;
    }
    for (String key : audiences.keySet()) {
      if (key.startsWith("*.") && h.endsWith(key.substring(1)) && h.length() > key.length() - 1) {
        return true;
      }
    }
    return false;
  }

  /** {@code PRIVATE_EGRESS_TOKEN_HEADER}: the header that carries the ID token. */
  public String tokenHeader() {
    return tokenHeader;
  }

  /** {@code PRIVATE_EGRESS_STARTUP_GRACE}: window after start in which connect failures are retried harder. */
  public Duration startupGrace() {
    return startupGrace;
  }

  /** The Redis target, when {@code REDIS_URL} or {@code REDISHOST} is set. */
  public Optional<RedisSettings> redis() {
    return Optional.ofNullable(redis);
  }

  /** {@code GCE_METADATA_HOST}: {@code host[:port]} of the metadata server, when overridden. */
  public Optional<String> metadataHost() {
    return Optional.ofNullable(metadataHost);
  }

  /** {@code NO_GCE_CHECK=true}: never probe for the metadata server. */
  public boolean noGceCheck() {
    return noGceCheck;
  }

  @Override
  public String toString() {
    return "EgressConfig{mode=" + (declaredMode == null ? "auto" : declaredMode)
        + ", scope=" + (declaredScope == null ? "undeclared" : declaredScope)
        + ", lookup=" + (adminApiLookup ? "admin-api" : "off")
        + ", hosts=" + hosts
        + ", audiences=" + audiences
        + ", tokenHeader=" + tokenHeader
        + ", startupGrace=" + startupGrace
        + ", redis=" + (redis == null ? "-" : redis)
        + ", metadataHost=" + (metadataHost == null ? "-" : metadataHost)
        + ", noGceCheck=" + noGceCheck + "}";
  }

  // ---------------------------------------------------------------------------------------------
  // Parsing

  /** Where a raw value came from, so messages name the input the user actually wrote. */
  record Raw(String input, String value) {}

  /** Looks a variable up in explicit values, then system properties, then the environment. */
  static final class Source {
    private final Map<String, String> explicit;
    private final Map<String, String> properties;
    private final Map<String, String> env;

    Source(Map<String, String> explicit, Map<String, String> properties, Map<String, String> env) {
      this.explicit = explicit;
      this.properties = properties;
      this.env = env;
    }

    Raw get(String variable) {
      String v = explicit.get(variable);
      if (v != null) {
        return new Raw(variable, v);
      }
      String property = propertyName(variable);
      v = properties.get(property);
      if (v != null) {
        return new Raw(property, v);
      }
      v = env.get(variable);
      if (v != null) {
        return new Raw(variable, v);
      }
      return null;
    }
  }

  /** {@code PRIVATE_EGRESS_MODE} becomes {@code private.egress.mode}. */
  public static String propertyName(String variable) {
    return variable.toLowerCase(Locale.ROOT).replace('_', '.');
  }

  static EgressConfig resolve(Source source) {
    EgressMode mode = parse(source, "PRIVATE_EGRESS_MODE", v -> switch (v.toLowerCase(Locale.ROOT)) {
      case "auto" -> null;
      case "direct-vpc" -> EgressMode.DIRECT_VPC;
      case "connector" -> EgressMode.CONNECTOR;
      case "none" -> EgressMode.NONE;
      default -> throw new IllegalArgumentException("allowed: auto, direct-vpc, connector, none");
    }, null);
    EgressScope scope = parse(source, "PRIVATE_EGRESS_SCOPE", v -> switch (v.toLowerCase(Locale.ROOT)) {
      case "all-traffic" -> EgressScope.ALL_TRAFFIC;
      case "private-ranges-only" -> EgressScope.PRIVATE_RANGES_ONLY;
      default -> throw new IllegalArgumentException("allowed: all-traffic, private-ranges-only");
    }, null);
    Boolean lookup = parse(source, "PRIVATE_EGRESS_LOOKUP", v -> switch (v.toLowerCase(Locale.ROOT)) {
      case "admin-api" -> Boolean.TRUE;
      case "off" -> Boolean.FALSE;
      default -> throw new IllegalArgumentException("allowed: admin-api, off");
    }, Boolean.TRUE);
    Map<String, List<InetAddress>> hosts =
        parse(source, "PRIVATE_EGRESS_HOSTS", EgressConfig::parseHosts, Map.of());
    Map<String, String> audiences =
        parse(source, "PRIVATE_EGRESS_AUDIENCES", EgressConfig::parseAudiences, Map.of());
    String header = parse(source, "PRIVATE_EGRESS_TOKEN_HEADER", v -> {
      for (String h : TOKEN_HEADERS) {
        if (h.equalsIgnoreCase(v.trim())) {
          return h;
        }
      }
      throw new IllegalArgumentException("allowed: " + String.join(", ", TOKEN_HEADERS));
    }, "Authorization");
    Duration grace = parse(source, "PRIVATE_EGRESS_STARTUP_GRACE", v -> {
      Duration d;
      try {
        d = Duration.parse(v.trim());
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "expected an ISO-8601 duration such as PT90S, PT2M or PT0S (to turn the window off)");
      }
      if (d.isNegative()) {
        throw new IllegalArgumentException("must not be negative; use PT0S to turn the window off");
      }
      return d;
    }, DEFAULT_STARTUP_GRACE);
    String metadataHost = parse(source, "GCE_METADATA_HOST", EgressConfig::parseMetadataHost, null);
    boolean noGceCheck = parse(source, "NO_GCE_CHECK", v -> parseBoolean(v), Boolean.FALSE);
    RedisSettings redis = parseRedis(source);
    return new EgressConfig(mode, scope, lookup, hosts, audiences, header, grace, redis, metadataHost,
        noGceCheck);
  }

  private static <T> T parse(Source source, String variable, Function<String, T> parser, T fallback) {
    Raw raw = source.get(variable);
    if (raw == null || raw.value().isBlank()) {
      return fallback;
    }
    try {
      return parser.apply(raw.value().trim());
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(raw.input(), raw.value(), e.getMessage());
    }
  }

  private static boolean parseBoolean(String v) {
    if (v.equalsIgnoreCase("true")) {
      return true;
    }
    if (v.equalsIgnoreCase("false")) {
      return false;
    }
    throw new IllegalArgumentException("allowed: true, false");
  }

  static Map<String, List<InetAddress>> parseHosts(String v) {
    Map<String, List<InetAddress>> map = new LinkedHashMap<>();
    for (String entry : v.split(",")) {
      String e = entry.trim();
      if (e.isEmpty()) {
        continue;
      }
      int eq = e.indexOf('=');
      if (eq <= 0 || eq == e.length() - 1) {
        throw new IllegalArgumentException("entry '" + e + "' is not host=ip; write e.g. "
            + "PRIVATE_EGRESS_HOSTS=my.api.private=127.0.0.1,cache.private=10.0.0.3");
      }
      String host = normalizeHost(e.substring(0, eq).trim(), e);
      if (host.startsWith("*.")) {
        throw new IllegalArgumentException("'" + e + "': overrides map exact names, not wildcards (those are for "
            + "PRIVATE_EGRESS_AUDIENCES); list each name, e.g. a.corp.private=10.0.0.5,b.corp.private=10.0.0.6");
      }
      String ip = e.substring(eq + 1).trim();
      map.computeIfAbsent(host, k -> new ArrayList<>()).add(parseIp(host, ip));
    }
    Map<String, List<InetAddress>> frozen = new LinkedHashMap<>();
    map.forEach((k, list) -> frozen.put(k, List.copyOf(list)));
    return Collections.unmodifiableMap(frozen);
  }

  private static String normalizeHost(String host, String entry) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    if (h.isEmpty() || !h.matches("(\\*\\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?")) {
      throw new IllegalArgumentException("'" + host + "' in '" + entry + "' is not a host name");
    }
    return h;
  }

  private static InetAddress parseIp(String host, String ip) {
    InetAddress literal = Hosts.parseIpLiteral(ip).orElseThrow(() -> new IllegalArgumentException("'" + ip
        + "' for host " + host + " is not an IP address; overrides map names to IPv4 or IPv6 literals, e.g. "
        + host + "=127.0.0.1 (names are never resolved here)"));
    try {
      // Attach the host name so logs and TLS see it; no lookup happens.
      return InetAddress.getByAddress(host, literal.getAddress());
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + ip + "' for host " + host + " is not an IP address");
    }
  }

  static Map<String, String> parseAudiences(String v) {
    Map<String, String> map = new LinkedHashMap<>();
    for (String entry : v.split(",")) {
      String e = entry.trim();
      if (e.isEmpty()) {
        continue;
      }
      int eq = e.indexOf('=');
      if (eq <= 0 || eq == e.length() - 1) {
        throw new IllegalArgumentException("entry '" + e + "' is not host=audience; write e.g. "
            + "PRIVATE_EGRESS_AUDIENCES=my.api.private=https://my-api.example.com,*.corp.private=1234.apps.googleusercontent.com");
      }
      String host = normalizeHost(e.substring(0, eq).trim(), e);
      if (host.indexOf('*') > 0) {
        throw new IllegalArgumentException("'" + host + "': a wildcard is allowed only as a leading '*.'");
      }
      map.put(host, e.substring(eq + 1).trim());
    }
    return Collections.unmodifiableMap(map);
  }

  private static String parseMetadataHost(String v) {
    if (v.contains("://") || v.contains("/")) {
      throw new IllegalArgumentException(
          "give host[:port] only, without a scheme or path (e.g. 127.0.0.1:8089); http:// is implied");
    }
    int colon = v.lastIndexOf(':');
    if (colon > 0 && v.indexOf(':') == colon) {
      String port = v.substring(colon + 1);
      checkPort(port);
    }
    return v;
  }

  private static int checkPort(String port) {
    int p;
    try {
      p = Integer.parseInt(port.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + port + "' is not a port number; expected an integer 1-65535");
    }
    if (p < 1 || p > 65535) {
      throw new IllegalArgumentException("port " + p + " is out of range; expected 1-65535");
    }
    return p;
  }

  private static RedisSettings parseRedis(Source source) {
    Raw url = source.get("REDIS_URL");
    Raw host = source.get("REDISHOST");
    Raw port = source.get("REDISPORT");
    Raw auth = source.get("REDIS_AUTH");
    Raw ca = source.get("REDIS_TLS_CA");
    boolean iam = parse(source, "REDIS_IAM_AUTH", EgressConfig::parseBoolean, Boolean.FALSE);
    boolean cluster = parse(source, "REDIS_CLUSTER", EgressConfig::parseBoolean, Boolean.FALSE);

    Path caFile = null;
    if (ca != null && !ca.value().isBlank()) {
      caFile = Path.of(ca.value().trim());
      if (!Files.isRegularFile(caFile)) {
        throw new ConfigurationException(ca.input(), ca.value(),
            (Files.isDirectory(caFile) ? "a directory, not a file" : "no such file")
                + "; point it at the PEM file with the server CA certificate(s) "
                + "(Memorystore: download server-ca.pem from the instance, or mount it from Secret Manager)");
      }
      if (!Files.isReadable(caFile)) {
        throw new ConfigurationException(ca.input(), ca.value(), "the file is not readable by this process");
      }
      try {
        Pem.certificates(caFile); // a local file: parsed now so a wrong file fails at start, not at the first command
      } catch (IOException e) {
        throw new ConfigurationException(ca.input(), ca.value(), "not usable as the server CA (" + e.getMessage()
            + "); it must hold the instance's server CA certificate(s) as -----BEGIN CERTIFICATE----- blocks "
            + "(Memorystore: gcloud redis instances describe INSTANCE --format='value(serverCaCerts)')", e);
      }
    }
    String password = auth == null || auth.value().isEmpty() ? null : auth.value();
    if (iam && password != null) {
      throw new ConfigurationException(auth.input(), "****",
          "REDIS_AUTH and REDIS_IAM_AUTH=true are exclusive: IAM auth sends an access token as the password. "
              + "Unset one of them");
    }

    if (url != null && !url.value().isBlank()) {
      return parseRedisUrl(url, password, caFile, iam, cluster);
    }
    if (host == null || host.value().isBlank()) {
      if (port != null && !port.value().isBlank()) {
        parse(source, "REDISPORT", EgressConfig::checkPort, 0); // still reject a bad port
      }
      return null;
    }
    String h = host.value().trim();
    if (h.contains("://") || h.contains("/") || h.contains("@")) {
      throw new ConfigurationException(host.input(), h,
          "expected a host name or IP only; put a full URI in REDIS_URL instead");
    }
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.indexOf(':') >= 0 && !Hosts.isIpLiteral(h)) {
      throw new ConfigurationException(host.input(), h,
          "expected a host name or IP only; put the port in REDISPORT (e.g. REDISHOST=10.0.0.3 REDISPORT=6378)");
    }
    if (!Hosts.isIpLiteral(h) && !h.matches("(?i)[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?")) {
      throw new ConfigurationException(host.input(), h,
          "not a host name (letters, digits, '-', '_' and '.' only); use the instance's IP address, "
              + "e.g. REDISHOST=10.0.0.3");
    }
    int p = parse(source, "REDISPORT", EgressConfig::checkPort, 6379);
    return new RedisSettings(h, p, null, password, 0, caFile != null, caFile, iam, cluster);
  }

  private static RedisSettings parseRedisUrl(Raw raw, String authPassword, Path caFile, boolean iam,
      boolean cluster) {
    // Without "://" there is no user info to mask, and the value may be a password pasted into the wrong
    // variable: show none of it.
    String shown = raw.value().contains("://") ? Target.maskUserInfo(raw.value().trim()) : "****";
    URI uri;
    try {
      uri = new URI(raw.value().trim());
    } catch (URISyntaxException e) {
      String afterScheme = raw.value().trim().replaceFirst("^[A-Za-z][A-Za-z0-9+.-]*://", "");
      throw new ConfigurationException(raw.input(), shown, (afterScheme.isEmpty() ? "no host" : "not a URI ("
          + e.getReason() + ")") + "; expected redis://[user:password@]host:port[/db] or rediss://...");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("redis") && !scheme.equals("rediss")) {
      throw new ConfigurationException(raw.input(), shown,
          "scheme must be redis:// or rediss:// (TLS), e.g. redis://10.0.0.3:6379 or rediss://10.0.0.3:6378");
    }
    String h = uri.getHost();
    if (h == null || h.isEmpty()) {
      throw new ConfigurationException(raw.input(), shown, missingHost(uri.getRawAuthority()));
    }
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    int port = uri.getPort() == -1 ? 6379 : uri.getPort();
    if (port < 1 || port > 65535) {
      throw new ConfigurationException(raw.input(), shown, "port must be 1-65535");
    }
    // redis://secret@host: user info without a colon is the password
    Optional<UserInfo> credentials = UserInfo.of(uri);
    String user = credentials.map(UserInfo::user).orElse(null);
    String password = credentials.map(UserInfo::password).orElse(null);
    if (password != null && iam) {
      throw new ConfigurationException(raw.input(), shown,
          "a password in the URL and REDIS_IAM_AUTH=true are exclusive; IAM auth sends an access token");
    }
    if (password == null) {
      password = authPassword;
    }
    int db = 0;
    String path = uri.getPath();
    if (path != null && !path.isEmpty() && !path.equals("/")) {
      try {
        db = Integer.parseInt(path.substring(1));
      } catch (NumberFormatException e) {
        db = -1;
      }
      if (db < 0) {
        throw new ConfigurationException(raw.input(), shown, "the path must be a database number, e.g. /0");
      }
      if (db != 0 && cluster) {
        throw new ConfigurationException(raw.input(), shown, "Redis Cluster has only database 0");
      }
    }
    boolean tls = scheme.equals("rediss") || caFile != null;
    return new RedisSettings(h, port, user, password, db, tls, caFile, iam, cluster);
  }

  /** Why java.net.URI found no host in a URI that has an authority: a bad port or a bad host character. */
  private static String missingHost(String authority) {
    if (authority == null || authority.isEmpty()) {
      return "no host; expected redis://host:port";
    }
    String hostPort = authority.substring(authority.lastIndexOf('@') + 1);
    int colon = hostPort.lastIndexOf(':');
    if (colon >= 0 && !hostPort.endsWith("]") && !hostPort.substring(colon + 1).matches("\\d*")) {
      return "the port '" + hostPort.substring(colon + 1) + "' is not a number; expected redis://host:6379";
    }
    String host = colon >= 0 && !hostPort.endsWith("]") ? hostPort.substring(0, colon) : hostPort;
    return "'" + host + "' is not a valid host name (letters, digits, '-' and '.' only; no '_'); "
        + "use the instance's IP address, e.g. redis://10.0.0.3:6379";
  }
}
