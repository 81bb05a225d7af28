package dev.privateegress.http;

import java.io.IOException;

/**
 * The ID token a request needs could not be obtained, so the request was not sent. An {@link IOException}
 * so that OkHttp callers handle it with their other I/O failures; the message names the host and the
 * audience and says what to check, and the cause is the {@link dev.privateegress.TokenException}.
 */
public final class TokenUnavailableException extends IOException {
  private static final long serialVersionUID = 1L;

  /** The host the request was for. */
  private final String host;
  /** The audience the token was asked for. */
  private final String audience;

  /**
   * Creates the exception; the message is built from the arguments and never contains a token.
   *
   * @param host the host the request was for
   * @param audience the audience the ID token was asked for
   * @param cause why no token could be had, usually a {@link dev.privateegress.TokenException}; may be null
   */
  public TokenUnavailableException(String host, String audience, Throwable cause) {
    super("no ID token for " + host + " (audience " + audience + "), request not sent: "
        + (cause == null ? "unknown cause" : cause.getMessage())
        + ". Check PRIVATE_EGRESS_AUDIENCES, the runtime's credentials (metadata server on Google Cloud; "
        + "locally impersonate a service account, since user credentials cannot mint audience-bound tokens)",
        cause);
    this.host = host;
    this.audience = audience;
  }

  /**
   * The host the request was for.
   *
   * @return the host name as in the request URL
   */
  public String host() {
    return host;
  }

  /**
   * The audience the token was asked for.
   *
   * @return the audience from the audience map (or {@code https://host} for {@code *.run.app})
   */
  public String audience() {
    return audience;
  }
}
