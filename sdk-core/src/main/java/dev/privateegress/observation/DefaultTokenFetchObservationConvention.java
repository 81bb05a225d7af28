package dev.privateegress.observation;

import io.micrometer.common.KeyValues;

/**
 * {@code private.egress.token.fetch}, span name {@code fetch id token} or {@code fetch access token}, with
 * {@code private_egress.token.kind} and {@code private_egress.token.audience_host}.
 */
public class DefaultTokenFetchObservationConvention implements TokenFetchObservationConvention {
  public static final DefaultTokenFetchObservationConvention INSTANCE = new DefaultTokenFetchObservationConvention();

  @Override
  public String getName() {
    return "private.egress.token.fetch";
  }

  @Override
  public String getContextualName(TokenFetchContext context) {
    return "fetch " + context.kind() + " token";
  }

  @Override
  public KeyValues getLowCardinalityKeyValues(TokenFetchContext context) {
    return KeyValues.of("private_egress.token.kind", context.kind(),
        "private_egress.token.audience_host", context.audienceHost());
  }
}
