package dev.privateegress.samples.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.samples.testing.SampleProcess;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** On Google Cloud (Cloud Run's variables) the relay does not start open by accident, and says so when told to. */
class RelayOpenIT {
  private static final Path JAR = Path.of(System.getProperty("sample.jar", "target/pubsub-relay.jar"));
  private static final Map<String, String> CLOUD_RUN = Map.of("K_SERVICE", "relay", "K_CONFIGURATION", "relay",
      "K_REVISION", "relay-00001-abc", "RELAY_TARGET_URL", "http://127.0.0.1:9/events");

  @Test
  void onCloudRunWithoutAnAudienceItRefusesToStart() {
    assertThatThrownBy(() -> SampleProcess.start(JAR, CLOUD_RUN).close()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("sample exited with")
        .hasMessageContaining("RELAY_PUSH_AUDIENCE is not set on cloud-run-service")
        .hasMessageContaining("RELAY_PUSH_VERIFY=off");
  }

  @Test
  void withVerifyOffItStartsAndSaysSoAtStartUp() throws Exception {
    Map<String, String> env = new java.util.HashMap<>(CLOUD_RUN);
    env.put("RELAY_PUSH_VERIFY", "off");
    try (SampleProcess relay = SampleProcess.start(JAR, env)) {
      assertThat(relay.output()).contains("PUSH TOKENS ARE NOT VERIFIED (RELAY_PUSH_VERIFY=off)");
    }
  }
}
