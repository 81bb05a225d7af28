package dev.privateegress.observation;

import io.micrometer.observation.Observation;

/**
 * A token fetch the SDK makes on a cache miss (never on a hit): which kind of token, and for which audience's
 * host. Never the token, never the full audience URL.
 */
public class TokenFetchContext extends Observation.Context {
  private final String kind;
  private final String audienceHost;

  public TokenFetchContext(String kind, String audienceHost) {
    this.kind = kind;
    this.audienceHost = audienceHost;
  }

  /** {@code id} or {@code access}. */
  public String kind() {
    return kind;
  }

  /** The host of the ID token's audience; empty for an access token. */
  public String audienceHost() {
    return audienceHost;
  }
}
