package dev.privateegress.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.PrivateEgressBuilder;
import dev.privateegress.PrivateEgress;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The conditions of the health and metrics auto-configurations. */
class PrivateEgressHealthAndMetricsAutoConfigurationTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(PrivateEgressAutoConfiguration.class,
          PrivateEgressHealthAutoConfiguration.class, PrivateEgressMetricsAutoConfiguration.class))
      .withBean("testEnvironment", PrivateEgressBuilderCustomizer.class,
          () -> b -> b.environment(Map.of("NO_GCE_CHECK", "true")));

  @Test
  void metersWhenARegistryExistsAndTheSdkFeedsThem() {
    runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new).run(ctx -> {
      assertThat(ctx).hasSingleBean(PrivateEgressMetrics.class);
      ctx.getBean(PrivateEgress.class).listener().retry("a.private:80", 1, Duration.ZERO, "HTTP 503");
      MeterRegistry registry = ctx.getBean(MeterRegistry.class);
      assertThat(registry.get("private.egress.retries").tags("target", "a.private:80").counter().count()).isEqualTo(1);
    });
  }

  @Test
  void theInfoMeterNamesPlatformModeAndScope() {
    runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withPropertyValues("private-egress.mode=connector", "private-egress.scope=private-ranges-only")
        .run(ctx -> {
          MeterRegistry registry = ctx.getBean(MeterRegistry.class);
          ctx.getBean("privateEgressInfoMeterBinder", io.micrometer.core.instrument.binder.MeterBinder.class)
              .bindTo(registry); // Boot's MeterRegistryPostProcessor does this in an application
          assertThat(registry.get("private.egress.info")
              .tags("platform", "local", "mode", "connector", "scope", "private-ranges-only").gauge().value())
              .isEqualTo(1);
        });
  }

  @Test
  void noMetersWithoutARegistryBean() {
    runner.run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(PrivateEgressMetrics.class));
  }

  @Test
  void noMetersWithoutMicrometer() {
    runner.withClassLoader(new FilteredClassLoader(MeterRegistry.class))
        .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(PrivateEgressMetrics.class)
            .hasSingleBean(PrivateEgress.class));
  }

  @Test
  void noMetersWhenTurnedOff() {
    runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withPropertyValues("private-egress.metrics.enabled=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(PrivateEgressMetrics.class)
            .doesNotHaveBean("privateEgressInfoMeterBinder"));
  }

  @Test
  void aUserMetricsBeanWins() {
    PrivateEgressMetrics mine = new PrivateEgressMetrics(new SimpleMeterRegistry(), java.time.Clock.systemUTC());
    runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new).withBean(PrivateEgressMetrics.class, () -> mine)
        .run(ctx -> assertThat(ctx).getBean(PrivateEgressMetrics.class).isSameAs(mine));
  }

  @Test
  void healthContributorWithTheRedisTargetFirstThenTheListedOnes() {
    runner.withPropertyValues("private-egress.redis.url=redis://:pw@10.9.8.7:6380",
            "private-egress.readiness.targets=tcp://127.0.0.1:5432,http://my.api.private/")
        .run(ctx -> {
          assertThat(ctx).hasBean("privateEgressHealthIndicator");
          assertThat(ctx.getBean(PrivateEgressHealthIndicator.class).targets())
              .containsExactly("redis://10.9.8.7:6380", "tcp://127.0.0.1:5432", "http://my.api.private/");
          assertThat(ctx).hasBean("privateEgressReadinessGroupMembership");
        });
  }

  @Test
  void noTargetsIsUp() {
    runner.run(ctx -> assertThat(ctx.getBean(PrivateEgressHealthIndicator.class).health().getStatus())
        .isEqualTo(Status.UP));
  }

  @Test
  void aBadReadinessTargetFailsStartUpNamingIt() {
    runner.withPropertyValues("private-egress.readiness.targets=ftp://x").run(ctx -> {
      assertThat(ctx).hasFailed();
      assertThat(ctx.getStartupFailure()).rootCause().hasMessageContaining("ftp://x");
    });
  }

  @Test
  void noHealthContributorWhenTurnedOff() {
    runner.withPropertyValues("management.health.private-egress.enabled=false")
        .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(HealthIndicator.class)
            .doesNotHaveBean("privateEgressReadinessGroupMembership"));
  }

  @Test
  void noReadinessMembershipWhenTurnedOff() {
    runner.withPropertyValues("private-egress.readiness.include-in-readiness-group=false")
        .run(ctx -> assertThat(ctx).hasBean("privateEgressHealthIndicator")
            .doesNotHaveBean("privateEgressReadinessGroupMembership"));
  }

  @Test
  void noHealthContributorWithoutSpringBootHealth() {
    runner.withClassLoader(new FilteredClassLoader(HealthIndicator.class))
        .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean("privateEgressHealthIndicator")
            .hasSingleBean(PrivateEgress.class));
  }

  @Test
  void aUserHealthIndicatorOfTheSameNameWins() {
    HealthIndicator mine = () -> org.springframework.boot.health.contributor.Health.up().build();
    runner.withBean("privateEgressHealthIndicator", HealthIndicator.class, () -> mine)
        .run(ctx -> assertThat(ctx).getBean("privateEgressHealthIndicator").isSameAs(mine));
  }
}
