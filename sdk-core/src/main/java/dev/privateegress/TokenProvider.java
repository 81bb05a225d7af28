package dev.privateegress;

/**
 * Supplies Google ID tokens (per audience) and OAuth2 access tokens, cached.
 *
 * <p>Implementations are thread-safe, refresh on the calling thread (no background threads unless
 * explicitly enabled) and never put token text in logs or exception messages.
 */
public interface TokenProvider {

  /**
   * Returns a valid ID token whose {@code aud} is {@code audience}, from the cache when possible.
   *
   * @throws TokenException when no token can be minted (no credentials, metadata server down and no
   *     still-valid token cached, user credentials that cannot mint audience-bound tokens)
   */
  Token idToken(String audience);

  /** Returns a valid OAuth2 access token with the cloud-platform scope, from the cache when possible. */
  Token accessToken();

  /**
   * Called after a server rejected {@code rejected} (HTTP 401): drops it from the cache unless a newer
   * token has already replaced it, and returns a freshly minted one. At most one fetch happens even if
   * many callers report the same rejected token at once.
   */
  Token refreshIdToken(String audience, Token rejected);

  /**
   * Like {@link #refreshIdToken} for access tokens (e.g. after Redis rejected an IAM token): drops {@code
   * rejected} unless a newer token already replaced it, and returns a valid one, fetching at most once
   * for concurrent reports. The default simply returns {@link #accessToken()}.
   */
  default Token refreshAccessToken(Token rejected) {
    return accessToken();
  }
}
