package dev.privateegress.spring.internal;

import dev.privateegress.internal.RedisUrlParser;
import org.springframework.boot.actuate.endpoint.SanitizableData;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;

/**
 * Masks Redis secrets in {@code /actuator/env} and {@code /actuator/configprops}, which show values as they are
 * once {@code show-values} allows it: the AUTH string and passwords ({@code private-egress.redis.auth},
 * {@code REDIS_AUTH}, {@code spring.data.redis.password}, ...) whole, and the user info of any URL ({@code
 * REDIS_URL}, {@code spring.data.redis.url}, ...) by core's one masking function, whatever characters the
 * password holds.
 */
public final class RedisSecretsSanitizer implements SanitizingFunction {

  @Override
  public SanitizableData apply(SanitizableData data) {
    Object value = data.getValue();
    if (value == null) {
      return data;
    }
    String key = data.getLowerCaseKey().replace("-", "").replace("_", "").replace(".", "");
    if (key.endsWith("redisauth") || key.endsWith("password")) {
      return data.withSanitizedValue();
    }
    String s = value.toString();
    int sep = s.indexOf("://");
    if (sep >= 0 && s.indexOf('@', sep) >= 0) {
      return data.withValue(RedisUrlParser.masked(s));
    }
    return data;
  }
}
