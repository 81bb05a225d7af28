package dev.privateegress.samples.counter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.Platform;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LocalRedisTest {

  private static LocalRedis.Decision decide(Map<String, String> properties, Platform platform) {
    return LocalRedis.decide(properties::get, () -> platform);
  }

  @Test
  void anyWayOfNamingARedisTargetMeansNoLocalServer() {
    for (String key : LocalRedis.TARGET_KEYS) {
      assertThat(decide(Map.of(key, "10.0.0.3"), Platform.LOCAL)).as(key).isEqualTo(LocalRedis.Decision.CONFIGURED);
    }
  }

  @Test
  void offGoogleCloudWithoutATargetALocalServerStarts() {
    assertThat(decide(Map.of(), Platform.LOCAL)).isEqualTo(LocalRedis.Decision.START_LOCAL);
    // An empty REDIS_URL= is no target for the starter either: starting nothing would leave no Redis bean.
    assertThat(decide(Map.of("REDIS_URL", " ", "REDISHOST", ""), Platform.LOCAL)).isEqualTo(LocalRedis.Decision.START_LOCAL);
  }

  @Test
  void onGoogleCloudAMissingTargetIsAMistakeNotALocalServer() {
    assertThat(decide(Map.of(), Platform.CLOUD_RUN_SERVICE)).isEqualTo(LocalRedis.Decision.MISSING_ON_GOOGLE_CLOUD);
    assertThat(decide(Map.of("REDISHOST", "10.0.0.3"), Platform.CLOUD_RUN_SERVICE)).isEqualTo(LocalRedis.Decision.CONFIGURED);
  }
}
