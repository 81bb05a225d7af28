package dev.privateegress.redis;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names a Redis command's observation and its key values. Register an implementation as a
 * {@code GlobalObservationConvention} on the registry (a bean, with Spring Boot) to replace
 * {@link DefaultRedisCommandObservationConvention}.
 */
public interface RedisCommandObservationConvention extends ObservationConvention<RedisCommandContext> {
  @Override
  default boolean supportsContext(Observation.Context context) {
    return context instanceof RedisCommandContext;
  }
}
