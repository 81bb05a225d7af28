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
}
