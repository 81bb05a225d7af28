package dev.privateegress.internal;

import com.google.auth.oauth2.IdToken;
import dev.privateegress.Token;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Optional;

/** Reads JWTs: an ID token's expiry from its own {@code exp} claim (never assumed), and claims for display. */
public final class Jwt {
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

  /** The claims of a JWT, without verifying it (only for display of aud/exp/email). */
  public static Optional<JsonObject> claims(String jwt) {
    String[] parts = jwt.split("\\.");
    if (parts.length < 2) {
      return Optional.empty();
    }
    try {
      String json = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
      JsonElement e = JsonParser.parseString(json);
      return e.isJsonObject() ? Optional.of(e.getAsJsonObject()) : Optional.empty();
    } catch (IllegalArgumentException | JsonParseException e) {
      return Optional.empty();
    }
  }
}
