package dev.privateegress.spring;

import dev.privateegress.PrivateEgress;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Clock;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of {@link PrivateEgressMetrics} (an {@code EgressListener} bean, so the
 * {@code PrivateEgress} bean feeds it) and of the {@code private.egress.info} meter, when Micrometer is on the
 * class path and a {@link MeterRegistry} bean exists. {@code private-egress.metrics.enabled=false} turns both off.
 */
@AutoConfiguration(after = PrivateEgressAutoConfiguration.class,
    afterName = {"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration"})
@ConditionalOnClass({MeterRegistry.class, PrivateEgress.class})
@ConditionalOnBean(MeterRegistry.class)
@ConditionalOnBooleanProperty(name = "private-egress.metrics.enabled", matchIfMissing = true)
public final class PrivateEgressMetricsAutoConfiguration {

  PrivateEgressMetricsAutoConfiguration() {}

  @Bean
  @ConditionalOnMissingBean
  PrivateEgressMetrics privateEgressMetrics(MeterRegistry registry) {
    return new PrivateEgressMetrics(registry, Clock.systemUTC());
  }

  /**
   * {@code private.egress.info} = 1, tagged with the platform, egress mode and scope known now (declared
   * configuration, environment variables and any verdict detected since start; no admin-API call is made
   * for it). See {@link PrivateEgressInfoMeter}.
   */
  @Bean
  @ConditionalOnBean(PrivateEgress.class)
  @ConditionalOnMissingBean(name = "privateEgressInfoMeterBinder")
  MeterBinder privateEgressInfoMeterBinder(PrivateEgress egress) {
    return new PrivateEgressInfoMeter(egress);
  }
}
