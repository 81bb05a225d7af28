package dev.privateegress.redis;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names a Redis connection's observation and its key values; replace {@link DefaultRedisConnectObservationConvention}
 * by registering an implementation as a {@code GlobalObservationConvention}.
 */
public interface RedisConnectObservationConvention extends ObservationConvention<RedisConnectContext> {
  @Override
  default boolean supportsContext(Observation.Context context) {
    return context instanceof RedisConnectContext;
  }
}
