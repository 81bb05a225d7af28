package dev.privateegress.http;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names an HTTP attempt's observation and its key values. Register an implementation as a
 * {@code GlobalObservationConvention} on the registry (a bean, with Spring Boot) to replace
 * {@link DefaultHttpAttemptObservationConvention}.
 */
public interface HttpAttemptObservationConvention extends ObservationConvention<HttpAttemptContext> {
  @Override
  default boolean supportsContext(Observation.Context context) {
    return context instanceof HttpAttemptContext;
  }
}
