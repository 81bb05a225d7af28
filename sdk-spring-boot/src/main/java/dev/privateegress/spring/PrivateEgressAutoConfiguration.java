package dev.privateegress.spring;

import dev.privateegress.EgressListener;
import dev.privateegress.PrivateEgress;
import dev.privateegress.PrivateEgressBuilder;
import dev.privateegress.spring.internal.CompositeEgressListener;
import dev.privateegress.spring.internal.RedisSecretsSanitizer;
import dev.privateegress.spring.internal.SpringVariables;
import io.micrometer.observation.ObservationRegistry;
import java.nio.file.Path;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of the {@link PrivateEgress} bean. Its configuration variables are read through
 * Spring's {@link Environment} ({@code private-egress.*} properties first, then a property or environment
 * variable of the variable's own name) and parsed once, by the SDK's own rules; every {@link EgressListener}
 * bean (the Micrometer meters among them) is its listener and every {@link PrivateEgressBuilderCustomizer}
 * applies last.
 */
@AutoConfiguration
@ConditionalOnClass(PrivateEgress.class)
@EnableConfigurationProperties(PrivateEgressProperties.class)
public final class PrivateEgressAutoConfiguration {

  PrivateEgressAutoConfiguration() {}

  @Bean
  @ConditionalOnMissingBean
  PrivateEgress privateEgress(Environment environment, PrivateEgressProperties properties,
      ObjectProvider<EgressListener> listeners,
      ObjectProvider<PrivateEgressBuilderCustomizer> customizers,
      ObjectProvider<ObservationRegistry> observationRegistry) {
    // The process environment still serves platform detection (K_SERVICE, GAE_ENV, ...); the
    // configuration variables come from Spring's Environment, which holds the process environment too.
    PrivateEgressBuilder builder = PrivateEgress.builder()
        .environment(System.getenv())
        .variables(SpringVariables.of(environment))
        .dmiProductName(Path.of("/sys/class/dmi/id/product_name"));
    // Boot's registry: attempts, token fetches and Redis commands reach its tracing and meter handlers.
    observationRegistry.ifAvailable(builder::observationRegistry);
    if (properties.getStartupGrace() != null) {
      builder.startupGrace(properties.getStartupGrace()); // Spring's Duration rules, as every Boot duration
    }
    return build(builder, listeners.orderedStream().toList(), customizers.orderedStream().toList());
  }

  /** Masks Redis passwords in /actuator/env and /actuator/configprops. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.SanitizingFunction")
  static class Sanitizing {
    @Bean
    RedisSecretsSanitizer privateEgressRedisSecretsSanitizer() {
      return new RedisSecretsSanitizer();
    }
  }

  /** Applies the listeners and the customizers, in that order, and builds. */
  static PrivateEgress build(PrivateEgressBuilder builder, List<EgressListener> listeners,
      List<PrivateEgressBuilderCustomizer> customizers) {
    if (!listeners.isEmpty()) {
      builder.listener(CompositeEgressListener.of(listeners));
    }
    customizers.forEach(c -> c.customize(builder));
    return builder.build();
  }
}
