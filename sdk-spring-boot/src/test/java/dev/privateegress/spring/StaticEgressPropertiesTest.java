package dev.privateegress.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.ConfigurationException;
import dev.privateegress.PrivateEgress;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** {@code private-egress.static-ip} and {@code private-egress.ip-echo}: the egress-ip check's variables as properties. */
class StaticEgressPropertiesTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(PrivateEgressAutoConfiguration.class))
      .withBean("testEnvironment", PrivateEgressBuilderCustomizer.class,
          () -> b -> b.environment(Map.of("NO_GCE_CHECK", "true")));

  @Test
  void thePropertiesReachTheConfiguration() {
    runner.withPropertyValues("private-egress.static-ip=198.51.100.7",
        "private-egress.ip-echo=https://echo.example.net/ip").run(ctx -> {
          PrivateEgress egress = ctx.getBean(PrivateEgress.class);
          assertThat(egress.config().staticIp()).hasValueSatisfying(
              a -> assertThat(a.getHostAddress()).isEqualTo("198.51.100.7"));
          assertThat(egress.config().ipEcho()).hasValueSatisfying(
              u -> assertThat(u.toString()).isEqualTo("https://echo.example.net/ip"));
        });
  }

  @Test
  void aBadAddressFailsStartUpNamingTheProperty() {
    runner.withPropertyValues("private-egress.static-ip=nat.example.com",
        "private-egress.ip-echo=https://echo.example.net/").run(ctx -> {
          assertThat(ctx).hasFailed();
          Throwable cause = ctx.getStartupFailure();
          while (!(cause instanceof ConfigurationException) && cause.getCause() != null) {
            cause = cause.getCause();
          }
          assertThat(cause).isInstanceOf(ConfigurationException.class)
              .hasMessageContaining("private-egress.static-ip").hasMessageContaining("nat.example.com")
              .hasMessageContaining("expected one IPv4 or IPv6 address");
        });
  }
}
