package dev.privateegress.internal;

import dev.privateegress.Token;
import java.io.IOException;
import java.time.Duration;

/** Where tokens come from: the metadata server or google-auth credentials. One attempt per call. */
interface TokenSource {

  /**
   * Mints an ID token for {@code audience}.
   *
   * @param full ask for the {@code email} claim ({@code format=full} / include-email)
   * @param budget time left for this attempt
   * @throws IOException when the attempt failed; {@link GoogleTokenProvider#retryable} decides whether
   *     another attempt is worth it
   */
  Token idToken(String audience, boolean full, Duration budget) throws IOException;

  /** Mints an OAuth2 access token with the cloud-platform scope. */
  Token accessToken(Duration budget) throws IOException;

  /** Where tokens come from, for messages and logs, e.g. {@code the metadata server at 169.254.169.254}. */
  String description();
}
