package dev.privateegress.internal;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The credentials in a URI's user info, percent-decoded: {@code user:password}, {@code :password} (no
 * user), or {@code password} alone (as in {@code redis://secret@host}). A literal {@code +} stays a plus.
 * {@link #toString()} never shows the password.
 *
 * @param user the user name, or null
 * @param password the password, or null when absent or empty
 */
public record UserInfo(String user, String password) {

  /** The user info of {@code uri}; empty when it has none. */
  public static Optional<UserInfo> of(URI uri) {
    String raw = uri.getRawUserInfo();
    if (raw == null || raw.isEmpty()) {
      return Optional.empty();
    }
    int colon = raw.indexOf(':');
    if (colon < 0) {
      return Optional.of(new UserInfo(null, decode(raw)));
    }
    String user = colon == 0 ? null : decode(raw.substring(0, colon));
    String password = decode(raw.substring(colon + 1));
    return Optional.of(new UserInfo(user, password.isEmpty() ? null : password));
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "UserInfo{user=" + user + ", password=" + (password == null ? "none" : "****") + "}";
  }
}
