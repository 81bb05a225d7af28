package dev.privateegress.samples.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.Platform;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RelaySettingsTest {
  private static Map<String, String> env(String... kv) {
    Map<String, String> m = new HashMap<>(Map.of("RELAY_TARGET_URL", "http://my.api.private/events"));
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  private static RelaySettings from(Map<String, String> env, Platform platform) {
    return RelaySettings.from(env::get, () -> platform);
  }

  @Test
  void openOnlyLocallyOrWhenSaidExplicitly() {
    assertThat(from(env(), Platform.LOCAL).open()).isTrue();
    assertThatThrownBy(() -> from(env(), Platform.CLOUD_RUN_SERVICE)).hasMessageContaining("RELAY_PUSH_AUDIENCE")
        .hasMessageContaining("RELAY_PUSH_SERVICE_ACCOUNT").hasMessageContaining("RELAY_PUSH_VERIFY=off");
    assertThat(from(env("RELAY_PUSH_VERIFY", "off"), Platform.CLOUD_RUN_SERVICE).open()).isTrue();
    RelaySettings verified = from(env("RELAY_PUSH_AUDIENCE", "https://a", "RELAY_PUSH_SERVICE_ACCOUNT", "sa@p"),
        Platform.CLOUD_RUN_SERVICE);
    assertThat(verified.open()).isFalse();
  }

  @Test
  void contradictionsAndBadValuesNameTheVariable() {
    assertThatThrownBy(() -> from(env("RELAY_PUSH_VERIFY", "off", "RELAY_PUSH_AUDIENCE", "https://a",
        "RELAY_PUSH_SERVICE_ACCOUNT", "sa@p"), Platform.LOCAL)).hasMessageContaining("contradicts");
    assertThatThrownBy(() -> from(env("RELAY_PUSH_VERIFY", "maybe"), Platform.LOCAL))
        .hasMessageContaining("RELAY_PUSH_VERIFY must be on or off, was 'maybe'");
    assertThatThrownBy(() -> from(env("RELAY_PUSH_VERIFY", "on"), Platform.LOCAL))
        .hasMessageContaining("RELAY_PUSH_AUDIENCE");
    for (String bad : new String[] {"12", "-5", "1e9", "lots", "99999999999999999999", "2147483648"}) {
      assertThatThrownBy(() -> from(env("RELAY_MAX_BODY_BYTES", bad), Platform.LOCAL)).as(bad)
          .hasMessageContaining("RELAY_MAX_BODY_BYTES").hasMessageContaining("'" + bad + "'");
    }
  }

  @Test
  void theBodyLimitDefaultsToAPushOfPubSubsLargestMessage() {
    assertThat(from(env(), Platform.LOCAL).maxBodyBytes()).isEqualTo(14L * 1024 * 1024)
        .isGreaterThan(10_000_000L * 4 / 3 + 100 * (256 + 1024));
    assertThat(from(env("RELAY_MAX_BODY_BYTES", "65536"), Platform.LOCAL).maxBodyBytes()).isEqualTo(65536);
  }
}
