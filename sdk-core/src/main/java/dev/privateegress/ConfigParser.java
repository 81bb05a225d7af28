package dev.privateegress;

import dev.privateegress.internal.ConfigSource;
import dev.privateegress.internal.ConfigSource.Raw;
import dev.privateegress.internal.ConfigValues;
import dev.privateegress.internal.RedisUrlParser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads every variable of {@link EgressConfig} from a {@link ConfigSource} and assembles the value. The
 * syntax of each variable is checked by the parsers in {@code internal}; what is left here is which
 * variable wins and which combinations are exclusive. Package-private so only validated values can be
 * constructed.
 */
final class ConfigParser {
  static final Duration DEFAULT_STARTUP_GRACE = Duration.ofSeconds(90);
  private static final List<EgressMode> MODES = List.of(EgressMode.UNKNOWN, EgressMode.DIRECT_VPC,
      EgressMode.CONNECTOR, EgressMode.NONE);
  private static final List<EgressScope> SCOPES = List.of(EgressScope.ALL_TRAFFIC, EgressScope.PRIVATE_RANGES_ONLY);

  private ConfigParser() {}

  static EgressConfig parse(ConfigSource source) {
    EgressMode mode = get(source, "PRIVATE_EGRESS_MODE",
        raw -> MODES.get(ConfigValues.keyword(raw, List.of("auto", "direct-vpc", "connector", "none"))), null);
    EgressScope scope = get(source, "PRIVATE_EGRESS_SCOPE",
        raw -> SCOPES.get(ConfigValues.keyword(raw, List.of("all-traffic", "private-ranges-only"))), null);
    LookupMode lookup = get(source, "PRIVATE_EGRESS_LOOKUP",
        raw -> ConfigValues.keyword(raw, List.of("admin-api", "off")) == 0 ? LookupMode.ADMIN_API : LookupMode.OFF,
        LookupMode.ADMIN_API);
    String header = get(source, "PRIVATE_EGRESS_TOKEN_HEADER",
        raw -> EgressConfig.TOKEN_HEADERS.get(ConfigValues.keyword(raw, EgressConfig.TOKEN_HEADERS)), "Authorization");
    return new EgressConfig(
        mode == EgressMode.UNKNOWN ? null : mode,
        scope,
        lookup,
        get(source, "PRIVATE_EGRESS_HOSTS", ConfigValues::hosts, Map.of()),
        get(source, "PRIVATE_EGRESS_AUDIENCES", ConfigValues::audiences, Map.of()),
        header,
        get(source, "PRIVATE_EGRESS_STARTUP_GRACE", ConfigValues::duration, DEFAULT_STARTUP_GRACE),
        redis(source),
        get(source, "GCE_METADATA_HOST", ConfigValues::metadataHost, null),
        get(source, "NO_GCE_CHECK", ConfigValues::bool, Boolean.FALSE),
        get(source, "PRIVATE_EGRESS_STATIC_IP", ConfigValues::ipAddress, null),
        ipEcho(source),
        get(source, "PRIVATE_EGRESS_TRACING", ConfigParser::tracing, EgressConfig.TRACED));
  }

  /** The echo URL; required when a static address is declared, since the check needs both. */
  private static java.net.URI ipEcho(ConfigSource source) {
    java.net.URI echo = get(source, "PRIVATE_EGRESS_IP_ECHO", ConfigValues::httpUrl, null);
    Raw staticIp = source.get("PRIVATE_EGRESS_STATIC_IP");
    if (echo == null && staticIp != null && !staticIp.value().isBlank()) {
      throw new ConfigurationException("PRIVATE_EGRESS_IP_ECHO", null, "PRIVATE_EGRESS_STATIC_IP is set, and the "
          + "egress-ip check needs a URL that answers the caller's address as plain text, e.g. "
          + "PRIVATE_EGRESS_IP_ECHO=https://api.ipify.org (or a small service of your own on the internet)");
    }
    return echo;
  }

  /** {@code http,redis,tokens} or any subset, {@code all} or {@code none}. */
  static Set<String> tracing(Raw raw) {
    List<String> allowed = List.of("http", "redis", "tokens", "all", "none");
    Set<String> traced = new LinkedHashSet<>();
    for (String part : raw.value().split(",", -1)) {
      int k = ConfigValues.keyword(new Raw(raw.input(), part), allowed);
      if (k == 3) {
        traced.addAll(EgressConfig.TRACED);
      } else if (k < 3) {
        traced.add(allowed.get(k));
      } else if (raw.value().split(",", -1).length > 1) {
        throw new ConfigurationException(raw.input(), raw.value(), "none cannot be combined with other values");
      }
    }
    return Set.copyOf(traced);
  }

  /** The parsed value of {@code variable}, or {@code fallback} when it is unset or blank. */
  private static <T> T get(ConfigSource source, String variable, Function<Raw, T> parser, T fallback) {
    Raw raw = source.get(variable);
    return raw == null || raw.value().isBlank() ? fallback : parser.apply(raw);
  }

  private static RedisSettings redis(ConfigSource source) {
    boolean iam = get(source, "REDIS_IAM_AUTH", ConfigValues::bool, Boolean.FALSE);
    boolean cluster = get(source, "REDIS_CLUSTER", ConfigValues::bool, Boolean.FALSE);
    Path caFile = get(source, "REDIS_TLS_CA", ConfigValues::pemFile, null);
    Raw auth = source.get("REDIS_AUTH");
    String authPassword = auth == null ? null : RedisUrlParser.auth(auth);
    if (iam && authPassword != null) {
      throw new ConfigurationException(auth.input(), "****",
          "REDIS_AUTH and REDIS_IAM_AUTH=true are exclusive: IAM auth sends an access token as the password. "
              + "Unset one of them");
    }
    // REDISPORT is checked even when unused, so a typo never waits for the day REDISHOST is set.
    int port = get(source, "REDISPORT", ConfigValues::port, 6379);
    Raw url = source.get("REDIS_URL");
    if (url != null && !url.value().isBlank()) {
      RedisUrlParser.Endpoint e = RedisUrlParser.url(url);
      if (e.password() != null && iam) {
        throw new ConfigurationException(url.input(), RedisUrlParser.masked(url.value()),
            "a password in the URL and REDIS_IAM_AUTH=true are exclusive; IAM auth sends an access token");
      }
      if (e.database() != 0 && cluster) {
        throw new ConfigurationException(url.input(), RedisUrlParser.masked(url.value()),
            "Redis Cluster has only database 0");
      }
      return new RedisSettings(e.host(), e.port(), e.user(), e.password() != null ? e.password() : authPassword,
          e.database(), e.tls() || caFile != null, caFile, iam, cluster);
    }
    String host = get(source, "REDISHOST", RedisUrlParser::host, null);
    return host == null ? null
        : new RedisSettings(host, port, null, authPassword, 0, caFile != null, caFile, iam, cluster);
  }
}
