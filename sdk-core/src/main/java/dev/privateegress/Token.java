package dev.privateegress;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A bearer token (Google ID token or OAuth2 access token) and when it expires. {@link #toString()}
 * never shows the token text; call {@link #value()} only to put it on the wire.
 */
public final class Token {
  private final String value;
  private final Instant expiresAt;

  /** A token and the instant it expires; {@code value} is secret and never shown by {@link #toString()}. */
  public Token(String value, Instant expiresAt) {
    this.value = Objects.requireNonNull(value, "value");
    this.expiresAt = Objects.requireNonNull(expiresAt, "expiresAt");
  }

  /** The secret token text. Never log it. */
  public String value() {
    return value;
  }

  /** When the issuer says the token stops being valid. */
  public Instant expiresAt() {
    return expiresAt;
  }

  /** Time left until expiry at {@code now}; negative when expired. */
  public Duration remaining(Instant now) {
    return Duration.between(now, expiresAt);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Token t && t.value.equals(value) && t.expiresAt.equals(expiresAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(value, expiresAt);
  }

  @Override
  public String toString() {
    return "Token{expiresAt=" + expiresAt + ", value=<redacted " + value.length() + " chars>}";
  }
}
