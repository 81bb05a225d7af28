package dev.privateegress.spring;

import dev.privateegress.internal.RedisUrlParser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings under {@code private-egress.*}. Each one means exactly what the configuration variable named in
 * its description means, and wins over that variable; a setting left unset leaves the variable (or its
 * {@code private.egress.*} system property, or a Spring property of the variable's name) in charge. The values
 * are read through Spring's {@code Environment} and parsed by the SDK's own rules when the {@code
 * PrivateEgress} bean is created (only {@code startup-grace} is converted by Spring, as a {@code Duration}): a
 * bad one fails start-up with Spring's failure report naming the property, its variable, the value and what
 * is allowed. This class describes them for tools and {@code /actuator/configprops}.
 */
@ConfigurationProperties("private-egress")
public class PrivateEgressProperties {

  /** Declared egress path (PRIVATE_EGRESS_MODE): auto, direct-vpc, connector or none. */
  private String mode;

  /** Declared egress setting (PRIVATE_EGRESS_SCOPE): all-traffic or private-ranges-only. */
  private String scope;

  /** Whether egress detection may read the platform's admin API (PRIVATE_EGRESS_LOOKUP): admin-api or off. */
  private String lookup;

  /** DNS overrides (PRIVATE_EGRESS_HOSTS), each host=ip, e.g. my.api.private=10.8.0.5. */
  private List<String> hosts = new ArrayList<>();

  /**
   * Hosts that receive ID tokens and their audience (PRIVATE_EGRESS_AUDIENCES), each host=audience;
   * *.suffix=audience allowed. Hosts under .run.app get https://host automatically.
   */
  private List<String> audiences = new ArrayList<>();

  /** Header that carries the ID token (PRIVATE_EGRESS_TOKEN_HEADER): Authorization, X-Serverless-Authorization or Proxy-Authorization. */
  private String tokenHeader;

  /**
   * Window after start in which connect failures are retried harder (PRIVATE_EGRESS_STARTUP_GRACE); 0s turns
   * it off. A Spring duration: 90s, 2m or PT90S.
   */
  private Duration startupGrace;

  /**
   * What the SDK traces through Boot's ObservationRegistry (PRIVATE_EGRESS_TRACING): a subset of
   * {@code http,redis,tokens} (all by default), {@code all} or {@code none}. Set {@code tokens} when the
   * OpenTelemetry Java agent already traces OkHttp and Jedis.
   */
  private String tracing;

  /** Metadata server location, host[:port] (GCE_METADATA_HOST). */
  private String metadataHost;

  /** Never probe for the metadata server (NO_GCE_CHECK). */
  private String noGceCheck;

  /** The address allow-lists expect public traffic from, e.g. the Cloud NAT static address (PRIVATE_EGRESS_STATIC_IP). */
  private String staticIp;

  /** A URL answering the caller's address as plain text, for the egress-ip check (PRIVATE_EGRESS_IP_ECHO). */
  private String ipEcho;

  private final Redis redis = new Redis();

  private final Readiness readiness = new Readiness();

  private final RestClient restClient = new RestClient();

  private final Metrics metrics = new Metrics();

  public String getMode() {
    return mode;
  }

  public void setMode(String mode) {
    this.mode = mode;
  }

  public String getScope() {
    return scope;
  }

  public void setScope(String scope) {
    this.scope = scope;
  }

  public String getLookup() {
    return lookup;
  }

  public void setLookup(String lookup) {
    this.lookup = lookup;
  }

  public List<String> getHosts() {
    return hosts;
  }

  public void setHosts(List<String> hosts) {
    this.hosts = hosts;
  }

  public List<String> getAudiences() {
    return audiences;
  }

  public void setAudiences(List<String> audiences) {
    this.audiences = audiences;
  }

  public String getTokenHeader() {
    return tokenHeader;
  }

  public void setTokenHeader(String tokenHeader) {
    this.tokenHeader = tokenHeader;
  }

  public String getTracing() {
    return tracing;
  }

  public void setTracing(String tracing) {
    this.tracing = tracing;
  }

  public Duration getStartupGrace() {
    return startupGrace;
  }

  public void setStartupGrace(Duration startupGrace) {
    this.startupGrace = startupGrace;
  }

  public String getMetadataHost() {
    return metadataHost;
  }

  public void setMetadataHost(String metadataHost) {
    this.metadataHost = metadataHost;
  }

  public String getNoGceCheck() {
    return noGceCheck;
  }

  public void setNoGceCheck(String noGceCheck) {
    this.noGceCheck = noGceCheck;
  }

  public String getStaticIp() {
    return staticIp;
  }

  public void setStaticIp(String staticIp) {
    this.staticIp = staticIp;
  }

  public String getIpEcho() {
    return ipEcho;
  }

  public void setIpEcho(String ipEcho) {
    this.ipEcho = ipEcho;
  }

  public Redis getRedis() {
    return redis;
  }

  public Readiness getReadiness() {
    return readiness;
  }

  public RestClient getRestClient() {
    return restClient;
  }

  public Metrics getMetrics() {
    return metrics;
  }

  @Override
  public String toString() {
    // The Redis password and AUTH string are never shown.
    return "PrivateEgressProperties{mode=" + mode + ", scope=" + scope + ", lookup=" + lookup + ", hosts=" + hosts
        + ", audiences=" + audiences + ", tokenHeader=" + tokenHeader + ", startupGrace=" + startupGrace
        + ", tracing=" + tracing + ", metadataHost=" + metadataHost + ", noGceCheck=" + noGceCheck + ", staticIp="
        + staticIp + ", ipEcho=" + ipEcho + ", redis=" + redis + "}";
  }

  /** The Redis target: {@code private-egress.redis.*}. */
  public static class Redis {

    /** Redis target (REDIS_URL), redis://[user:pass@]host:port[/db] or rediss://...; wins over host and port. */
    private String url;

    /** Redis host (REDISHOST). */
    private String host;

    /** Redis port (REDISPORT), 6379 by default. */
    private String port;

    /** Memorystore AUTH string (REDIS_AUTH). Never shown. */
    private String auth;

    /** PEM file with the CA certificates to verify the server against (REDIS_TLS_CA); enables TLS. */
    private Path tlsCa;

    /** Send an OAuth2 access token as the password (REDIS_IAM_AUTH), for Memorystore Cluster and Valkey. */
    private String iamAuth;

    /** Treat the target as a cluster discovery endpoint (REDIS_CLUSTER). */
    private String cluster;

    public String getUrl() {
      return url;
    }

    public void setUrl(String url) {
      this.url = url;
    }

    public String getHost() {
      return host;
    }

    public void setHost(String host) {
      this.host = host;
    }

    public String getPort() {
      return port;
    }

    public void setPort(String port) {
      this.port = port;
    }

    public String getAuth() {
      return auth;
    }

    public void setAuth(String auth) {
      this.auth = auth;
    }

    public Path getTlsCa() {
      return tlsCa;
    }

    public void setTlsCa(Path tlsCa) {
      this.tlsCa = tlsCa;
    }

    public String getIamAuth() {
      return iamAuth;
    }

    public void setIamAuth(String iamAuth) {
      this.iamAuth = iamAuth;
    }

    public String getCluster() {
      return cluster;
    }

    public void setCluster(String cluster) {
      this.cluster = cluster;
    }

    @Override
    public String toString() {
      return "{url=" + (url == null ? null : RedisUrlParser.masked(url)) + ", host=" + host
          + ", port=" + port + ", auth=" + (auth == null ? null : "****") + ", tlsCa=" + tlsCa
          + ", iamAuth=" + iamAuth + ", cluster=" + cluster + "}";
    }
  }

  /** The {@code privateEgress} health contributor: {@code private-egress.readiness.*}. */
  public static class Readiness {

    /**
     * Further targets the readiness check must reach besides the configured Redis: http(s):// URLs,
     * redis(s):// URIs or tcp://host:port (e.g. a sidecar on tcp://127.0.0.1:5432).
     */
    private List<String> targets = new ArrayList<>();

    /** How long one round of checks may take before the contributor reports DOWN without waiting further. */
    private Duration timeout = Duration.ofSeconds(5);

    /** How long a result is served to further probes before the targets are checked again. */
    private Duration cacheTtl = Duration.ofSeconds(5);

    /** Whether the privateEgress contributor joins the readiness health group. */
    private boolean includeInReadinessGroup = true;

    public List<String> getTargets() {
      return targets;
    }

    public void setTargets(List<String> targets) {
      this.targets = targets;
    }

    public Duration getTimeout() {
      return timeout;
    }

    public void setTimeout(Duration timeout) {
      this.timeout = timeout;
    }

    public Duration getCacheTtl() {
      return cacheTtl;
    }

    public void setCacheTtl(Duration cacheTtl) {
      this.cacheTtl = cacheTtl;
    }

    public boolean isIncludeInReadinessGroup() {
      return includeInReadinessGroup;
    }

    public void setIncludeInReadinessGroup(boolean includeInReadinessGroup) {
      this.includeInReadinessGroup = includeInReadinessGroup;
    }
  }

  /** Spring's HTTP clients: {@code private-egress.rest-client.*}. */
  public static class RestClient {

    /**
     * Whether every RestClient.Builder and RestTemplateBuilder from the context sends through the SDK's
     * OkHttpClient. Off: use the privateEgressClientHttpRequestFactory bean per client.
     */
    private boolean enabled = true;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }
  }

  /** Micrometer meters: {@code private-egress.metrics.*}. */
  public static class Metrics {

    /** Whether the SDK's events feed private.egress.* meters when Micrometer is present. */
    private boolean enabled = true;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }
  }
}
