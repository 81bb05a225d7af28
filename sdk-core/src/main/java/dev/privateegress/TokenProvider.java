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
   * Called after a server rejected {@code rejected} (HTTP 401): returns a newer token when one is cached
   * or can be minted, fetching at most once even if many callers report the same token at once. Returns
   * {@code rejected} itself, which stays cached while still valid, when the fetch fails or when a
   * rejection already forced a refresh within {@link TokenOptions#staleRetryInterval()}: a persistent 401
   * (wrong audience, missing invoker role) then costs no more than one metadata request per interval.
   * Callers retry only when the result differs from {@code rejected}.
   */
  Token refreshIdToken(String audience, Token rejected);

  /**
   * Like {@link #refreshIdToken} for access tokens (e.g. after Redis rejected an IAM token). The default
   * simply returns {@link #accessToken()}.
   */
  default Token refreshAccessToken(Token rejected) {
    return accessToken();
  }
}
