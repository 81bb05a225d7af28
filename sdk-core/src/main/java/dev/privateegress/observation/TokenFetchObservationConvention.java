package dev.privateegress.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names a token fetch's observation and its key values. Register an implementation as a
 * {@code GlobalObservationConvention} on the registry (a bean, with Spring Boot) to replace
 * {@link DefaultTokenFetchObservationConvention}.
 */
public interface TokenFetchObservationConvention extends ObservationConvention<TokenFetchContext> {
  @Override
  default boolean supportsContext(Observation.Context context) {
    return context instanceof TokenFetchContext;
  }
}
