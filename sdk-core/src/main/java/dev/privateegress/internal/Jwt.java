package dev.privateegress.internal;

import com.google.auth.oauth2.IdToken;
import dev.privateegress.Token;
import java.io.IOException;
import java.time.Instant;
import java.util.Date;

/** Reads the expiry of an ID token from its own {@code exp} claim (never assumed). */
final class Jwt {
  private Jwt() {}

  /**
   * Wraps {@code jwt} as a {@link Token} expiring at its {@code exp}.
   *
   * @throws IOException when it is not a JWT or has no {@code exp}; the message never contains the text
   */
  static Token token(String jwt, String from) throws IOException {
    Date exp;
    try {
      exp = IdToken.create(jwt).getExpirationTime();
    } catch (IOException | RuntimeException e) {
      // The parser's message may quote the input; do not pass it on.
      throw new IOException(from + " returned an ID token that is not a JWT with an exp claim ("
          + jwt.length() + " chars, " + e.getClass().getSimpleName() + ")");
    }
    if (exp == null) {
      throw new IOException(from + " returned an ID token without an exp claim");
    }
    return new Token(jwt, Instant.ofEpochMilli(exp.getTime()));
  }
}
