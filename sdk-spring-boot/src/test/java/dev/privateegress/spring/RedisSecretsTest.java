package dev.privateegress.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.privateegress.PrivateEgress;
import dev.privateegress.spring.internal.RedisSecretsSanitizer;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.springframework.boot.actuate.endpoint.SanitizableData;

/** Redis passwords of any characters, '/', '@', ':' and '%' among them, are shown nowhere. */
class RedisSecretsTest {
  private static final String SHAPE = "redis://app:****@10.0.0.3:6379/0 {url=, host=null, port=null, auth=****,"
      + " tlsCa=null, iamAuth=null, cluster=null} ******";

  @Property(tries = 400)
  void aPasswordOfAnyCharactersIsShownNowhere(@ForAll @StringLength(min = 4, max = 40) String password) {
    Assume.that(!SHAPE.contains(password));
    String url = "redis://app:" + password + "@10.0.0.3:6379/0";
    PrivateEgressProperties p = new PrivateEgressProperties();
    p.getRedis().setUrl(url);
    p.getRedis().setAuth(password);
    assertThat(p.toString()).doesNotContain(password);
    assertThat(p.getRedis().toString()).doesNotContain(password);

    RedisSecretsSanitizer sanitizer = new RedisSecretsSanitizer();
    for (String key : List.of("private-egress.redis.url", "REDIS_URL", "redis.url", "spring.data.redis.url")) {
      assertThat(String.valueOf(sanitizer.apply(new SanitizableData(null, key, url)).getValue()))
          .as(key).doesNotContain(password).contains("10.0.0.3");
    }
    for (String key : List.of("private-egress.redis.auth", "REDIS_AUTH", "redis.auth", "spring.data.redis.password",
        "PRIVATE_EGRESS_REDIS_AUTH")) {
      assertThat(String.valueOf(sanitizer.apply(new SanitizableData(null, key, password)).getValue()))
          .as(key).doesNotContain(password);
    }

    // An error about the URL (here its port) names it without the password.
    Throwable e = catchThrowable(() -> PrivateEgress.builder()
        .environment(Map.of("NO_GCE_CHECK", "true", "REDIS_URL", "redis://app:" + password + "@10.0.0.3:99999"))
        .build());
    if (e != null) {
      assertThat(e.getMessage()).doesNotContain(password);
    }
  }
}
