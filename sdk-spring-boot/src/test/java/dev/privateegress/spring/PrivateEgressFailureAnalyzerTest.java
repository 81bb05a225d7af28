package dev.privateegress.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** A real SpringApplication with a bad property ends in Spring Boot's own failure report. */
@ExtendWith(OutputCaptureExtension.class)
class PrivateEgressFailureAnalyzerTest {

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {}

  @Test
  void aBadPropertyEndsStartUpWithSpringsFailureReportNamingIt(CapturedOutput output) {
    SpringApplication app = new SpringApplication(App.class);
    app.setWebApplicationType(WebApplicationType.NONE);
    assertThatThrownBy(() -> app.run("--private-egress.mode=sideways", "--NO_GCE_CHECK=true"))
        .isInstanceOf(RuntimeException.class);
    assertThat(output.getAll())
        .contains("APPLICATION FAILED TO START")
        .contains("Description:")
        .contains("private-egress.mode (same as PRIVATE_EGRESS_MODE)=sideways is invalid")
        .contains("auto, direct-vpc, connector, none")
        .contains("Action:")
        .contains("Correct private-egress.mode (same as PRIVATE_EGRESS_MODE) where it is set");
  }

  @Test
  void sentinelDetailsTheSdkCannotTakeEndStartUpWithAReportNamingTheProperty(CapturedOutput output) {
    SpringApplication app = new SpringApplication(App.class);
    app.setWebApplicationType(WebApplicationType.NONE);
    assertThatThrownBy(() -> app.run("--spring.data.redis.client-type=jedis", "--NO_GCE_CHECK=true",
        "--spring.data.redis.sentinel.master=mymaster", "--spring.data.redis.sentinel.nodes=127.0.0.1:26379"))
        .isInstanceOf(RuntimeException.class);
    assertThat(output.getAll())
        .contains("APPLICATION FAILED TO START")
        .contains("Spring Data Redis is configured for Redis Sentinel (spring.data.redis.sentinel.master=mymaster, "
            + "spring.data.redis.sentinel.nodes), which the Private Egress SDK does not connect to")
        .contains("Action:")
        .contains("name the Redis the SDK should use with private-egress.redis.url (REDIS_URL)")
        .contains("exclude dev.privateegress.spring.PrivateEgressDataRedisAutoConfiguration");
  }
}
