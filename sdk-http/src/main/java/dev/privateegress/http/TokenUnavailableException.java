package dev.privateegress.http;

import java.io.IOException;

/**
 * The ID token a request needs could not be obtained, so the request was not sent. An {@link IOException}
 * so that OkHttp callers handle it with their other I/O failures; the message names the host and the
 * audience and says what to check, and the cause is the {@link dev.privateegress.TokenException}.
 */
public final class TokenUnavailableException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String host;
  private final String audience;

  public TokenUnavailableException(String host, String audience, Throwable cause) {
    super("no ID token for " + host + " (audience " + audience + "), request not sent: "
        + (cause == null ? "unknown cause" : cause.getMessage())
        + ". Check PRIVATE_EGRESS_AUDIENCES, the runtime's credentials (metadata server on Google Cloud; "
        + "locally impersonate a service account, since user credentials cannot mint audience-bound tokens)",
        cause);
    this.host = host;
    this.audience = audience;
  }

  /** The host the request was for. */
  public String host() {
    return host;
  }

  /** The audience the token was asked for. */
  public String audience() {
    return audience;
  }
}
