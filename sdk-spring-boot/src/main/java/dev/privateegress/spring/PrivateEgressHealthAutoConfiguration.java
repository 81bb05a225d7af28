package dev.privateegress.spring;

import dev.privateegress.PrivateEgress;
import dev.privateegress.RedisSettings;
import dev.privateegress.spring.internal.ReadinessGroupMembership;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configuration of the {@code privateEgress} health contributor ({@link PrivateEgressHealthIndicator})
 * and of its membership in the {@code readiness} group, so a startup probe on
 * {@code /actuator/health/readiness} holds traffic until the private targets answer. Turned off with
 * {@code management.health.private-egress.enabled=false}; the group membership alone with
 * {@code private-egress.readiness.include-in-readiness-group=false}.
 */
@AutoConfiguration(after = PrivateEgressAutoConfiguration.class,
    afterName = "org.springframework.boot.health.autoconfigure.actuate.endpoint.AvailabilityProbesAutoConfiguration")
@ConditionalOnClass({HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class, PrivateEgress.class})
@ConditionalOnBean(PrivateEgress.class)
@ConditionalOnEnabledHealthIndicator("private-egress")
public final class PrivateEgressHealthAutoConfiguration {

  PrivateEgressHealthAutoConfiguration() {}

  /** Contributor name {@code privateEgress}: the bean name without its {@code HealthIndicator} suffix. */
  @Bean
  @ConditionalOnMissingBean(name = "privateEgressHealthIndicator")
  PrivateEgressHealthIndicator privateEgressHealthIndicator(PrivateEgress egress, PrivateEgressProperties properties) {
    PrivateEgressProperties.Readiness r = properties.getReadiness();
    return new PrivateEgressHealthIndicator(egress, targets(egress, r.getTargets()), r.getTimeout(), r.getCacheTtl());
  }

  /** The configured Redis target first, then the listed ones. */
  static List<String> targets(PrivateEgress egress, List<String> listed) {
    List<String> targets = new ArrayList<>();
    egress.config().redis().ifPresent(r -> targets.add(redisTarget(r)));
    if (listed != null) {
      for (String t : listed) {
        if (t != null && !t.isBlank() && !targets.contains(t.trim())) {
          targets.add(t.trim());
        }
      }
    }
    return targets;
  }

  /** {@code redis://host:port} or {@code rediss://...}: no credentials, the checker takes them from the configuration. */
  static String redisTarget(RedisSettings r) {
    return (r.tls() ? "rediss://" : "redis://") + r.address();
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = {"org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor",
      "org.springframework.boot.actuate.endpoint.web.AdditionalPathsMapper"})
  @ConditionalOnBooleanProperty(name = "private-egress.readiness.include-in-readiness-group", matchIfMissing = true)
  static class ReadinessGroupConfiguration {

    @Bean
    static ReadinessGroupMembership privateEgressReadinessGroupMembership() {
      return new ReadinessGroupMembership("privateEgress");
    }
  }
}
