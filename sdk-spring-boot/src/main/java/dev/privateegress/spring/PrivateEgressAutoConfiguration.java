package dev.privateegress.spring;

import dev.privateegress.PrivateEgressBuilder;
import dev.privateegress.ConfigurationException;
import dev.privateegress.EgressListener;
import dev.privateegress.EgressMode;
import dev.privateegress.EgressScope;
import dev.privateegress.LookupMode;
import dev.privateegress.PrivateEgress;
import dev.privateegress.internal.ConfigSource;
import dev.privateegress.internal.ConfigValues;
import dev.privateegress.spring.internal.CompositeEgressListener;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@link PrivateEgress} bean from {@code private-egress.*} properties over the
 * process environment and system properties (properties win), with every {@link EgressListener} bean
 * (the Micrometer meters among them) as its listener and every {@link PrivateEgressBuilderCustomizer}
 * applied last.
 */
@AutoConfiguration
@ConditionalOnClass(PrivateEgress.class)
@EnableConfigurationProperties(PrivateEgressProperties.class)
public final class PrivateEgressAutoConfiguration {

  PrivateEgressAutoConfiguration() {}

  @Bean
  @ConditionalOnMissingBean
  PrivateEgress privateEgress(PrivateEgressProperties properties, ObjectProvider<EgressListener> listeners,
      ObjectProvider<PrivateEgressBuilderCustomizer> customizers,
      ObjectProvider<ObservationRegistry> observationRegistry) {
    // The one place the starter reads the real process environment; tests replace it with a customizer.
    PrivateEgressBuilder builder = PrivateEgress.builder()
        .environment(System.getenv())
        .systemProperties(System.getProperties())
        .dmiProductName(Path.of("/sys/class/dmi/id/product_name"));
    // Boot's registry: attempts, token fetches and Redis commands reach its tracing and meter handlers.
    observationRegistry.ifAvailable(builder::observationRegistry);
    return build(builder, properties, listeners.orderedStream().toList(), customizers.orderedStream().toList());
  }

  /** Applies the properties, the listeners and the customizers, in that order, and builds. */
  static PrivateEgress build(PrivateEgressBuilder builder, PrivateEgressProperties properties,
      List<EgressListener> listeners, List<PrivateEgressBuilderCustomizer> customizers) {
    Map<String, String> set = apply(properties, builder);
    if (!listeners.isEmpty()) {
      builder.listener(CompositeEgressListener.of(listeners));
    }
    customizers.forEach(c -> c.customize(builder));
    try {
      return builder.build();
    } catch (ConfigurationException e) {
      String property = set.get(e.input());
      if (property == null) {
        throw e;
      }
      String message = e.getMessage();
      int problem = message.indexOf(" is invalid: ");
      throw new ConfigurationException(property + " (same as " + e.input() + ")", e.shownValue().orElse(null),
          problem < 0 ? message : message.substring(problem + " is invalid: ".length()), e);
    }
  }

  /**
   * Copies every set property onto the builder.
   *
   * @return variable name to property name, for each property that was set
   */
  static Map<String, String> apply(PrivateEgressProperties p, PrivateEgressBuilder b) {
    Map<String, String> set = new java.util.LinkedHashMap<>();
    setIf(set, "PRIVATE_EGRESS_MODE", "private-egress.mode", declared("private-egress.mode", "PRIVATE_EGRESS_MODE", p.getMode(),
        EgressMode.DIRECT_VPC, EgressMode.CONNECTOR, EgressMode.NONE), b::mode);
    setIf(set, "PRIVATE_EGRESS_SCOPE", "private-egress.scope", declared("private-egress.scope", "PRIVATE_EGRESS_SCOPE", p.getScope(),
        EgressScope.ALL_TRAFFIC, EgressScope.PRIVATE_RANGES_ONLY), b::scope);
    setIf(set, "PRIVATE_EGRESS_LOOKUP", "private-egress.lookup", declared("private-egress.lookup", "PRIVATE_EGRESS_LOOKUP", p.getLookup(),
        LookupMode.values()), b::lookup);
    if (p.getHosts() != null && !p.getHosts().isEmpty()) {
      setIf(set, "PRIVATE_EGRESS_HOSTS", "private-egress.hosts", String.join(",", p.getHosts()), b::hosts);
    }
    if (p.getAudiences() != null && !p.getAudiences().isEmpty()) {
      setIf(set, "PRIVATE_EGRESS_AUDIENCES", "private-egress.audiences", String.join(",", p.getAudiences()),
          b::audiences);
    }
    setIf(set, "PRIVATE_EGRESS_TOKEN_HEADER", "private-egress.token-header", p.getTokenHeader(), b::tokenHeader);
    setIf(set, "PRIVATE_EGRESS_STARTUP_GRACE", "private-egress.startup-grace", p.getStartupGrace(),
        b::startupGrace);
    setIf(set, "PRIVATE_EGRESS_TRACING", "private-egress.tracing", p.getTracing(), b::tracing);
    setIf(set, "GCE_METADATA_HOST", "private-egress.metadata-host", p.getMetadataHost(), b::metadataHost);
    setIf(set, "NO_GCE_CHECK", "private-egress.no-gce-check",
        bool("private-egress.no-gce-check", "NO_GCE_CHECK", p.getNoGceCheck()), b::noGceCheck);
    PrivateEgressProperties.Redis r = p.getRedis();
    setIf(set, "REDIS_URL", "private-egress.redis.url", r.getUrl(), b::redisUrl);
    setIf(set, "REDISHOST", "private-egress.redis.host", r.getHost(), b::redisHost);
    setIf(set, "REDISPORT", "private-egress.redis.port", port("private-egress.redis.port", r.getPort()), b::redisPort);
    setIf(set, "REDIS_AUTH", "private-egress.redis.auth", r.getAuth(), b::redisAuth);
    setIf(set, "REDIS_TLS_CA", "private-egress.redis.tls-ca", r.getTlsCa(), b::redisTlsCa);
    setIf(set, "REDIS_IAM_AUTH", "private-egress.redis.iam-auth",
        bool("private-egress.redis.iam-auth", "REDIS_IAM_AUTH", r.getIamAuth()), b::redisIamAuth);
    setIf(set, "REDIS_CLUSTER", "private-egress.redis.cluster",
        bool("private-egress.redis.cluster", "REDIS_CLUSTER", r.getCluster()), b::redisCluster);
    return set;
  }

  /**
   * A port read by the variable's own rule (ASCII digits, 1-65535), not Spring's converter, which takes any
   * Unicode digits: the property means exactly what {@code REDISPORT} means.
   */
  private static Integer port(String property, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    return ConfigValues.port(new ConfigSource.Raw(property + " (same as REDISPORT)", value));
  }

  /** {@code true} or {@code false} only, as the variables take them (Spring's converter also takes yes/on/1). */
  private static Boolean bool(String property, String variable, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    return ConfigValues.bool(new ConfigSource.Raw(property + " (same as " + variable + ")", value));
  }

  /**
   * The constant whose id ({@code direct-vpc}, {@code all-traffic}, ...) is {@code value}, read by the
   * variable's own keyword rule; {@code auto} is the undeclared mode.
   */
  @SafeVarargs
  private static <E extends Enum<E>> E declared(String property, String variable, String value,
      E... allowed) {
    if (value == null || value.isBlank()) {
      return null;
    }
    boolean mode = allowed[0] instanceof EgressMode;
    List<String> ids = new java.util.ArrayList<>();
    if (mode) {
      ids.add("auto");
    }
    for (E e : allowed) {
      ids.add(e.toString());
    }
    int i = ConfigValues.keyword(new ConfigSource.Raw(property + " (same as " + variable + ")", value), ids);
    if (mode && i == 0) {
      @SuppressWarnings("unchecked")
      E auto = (E) EgressMode.UNKNOWN;
      return auto;
    }
    return allowed[mode ? i - 1 : i];
  }

  private static <T> void setIf(Map<String, String> set, String variable, String property, T value,
      Consumer<T> setter) {
    if (value != null) {
      setter.accept(value);
      set.put(variable, property);
    }
  }
}
