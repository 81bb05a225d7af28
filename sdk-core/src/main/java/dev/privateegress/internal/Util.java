package dev.privateegress.internal;

import com.google.api.client.json.webtoken.JsonWebToken;
import com.google.api.client.json.gson.GsonFactory;
import com.google.api.client.json.webtoken.JsonWebSignature;
import dev.privateegress.Token;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** Small helpers shared by the SDK's modules; one home instead of a copy per class. */
public final class Util {
  private Util() {}

  /**
   * {@code text} with every control or invisible formatting character written as an escape ({@code \n},
   * {@code \t}, {@code \u202E}, ...), so a value read from the environment cannot forge a log line or
   * hide part of a message.
   */
  public static String escapeControls(String text) {
    if (text == null) {
      return null;
    }
    StringBuilder b = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!isUnsafe(c)) {
        if (b != null) {
          b.append(c);
        }
        continue;
      }
      if (b == null) {
        b = new StringBuilder(text.length() + 16).append(text, 0, i);
      }
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> b.append(String.format("\\u%04X", (int) c));
      }
    }
    return b == null ? text : b.toString();
  }

  /** True when {@code text} holds a character {@link #escapeControls} would escape. */
  public static boolean hasControls(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (isUnsafe(text.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  private static boolean isUnsafe(char c) {
    int type = Character.getType(c);
    return type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
        || type == Character.PARAGRAPH_SEPARATOR;
  }

  /** Milliseconds since {@code startNanos} ({@link System#nanoTime()}). */
  public static long millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000L;
  }

  /** The last cause in {@code t}'s chain (itself when it has none); stops at a cause that is its own cause. */
  public static Throwable rootCause(Throwable t) {
    return deepestCause(t, Throwable.class);
  }

  /** The deepest {@code type} in {@code t}'s chain, {@code t} itself included; {@code t} must be a {@code type}. */
  public static <T extends Throwable> T deepestCause(T t, Class<? super T> type) {
    T deepest = t;
    for (Throwable c = t; c.getCause() != null && c.getCause() != c; ) {
      c = c.getCause();
      if (type.isInstance(c)) {
        @SuppressWarnings("unchecked")
        T typed = (T) c;
        deepest = typed;
      }
    }
    return deepest;
  }

  /**
   * Wraps {@code jwt}, an ID token, as a {@link Token} expiring at its own {@code exp} claim (never assumed).
   *
   * @param from where it came from, for the message
   * @throws IOException when it is not a JWT or has no {@code exp}; the message never contains the text
   */
  static Token idToken(String jwt, String from) throws IOException {
    Long exp;
    try {
      exp = JsonWebSignature.parse(GsonFactory.getDefaultInstance(), jwt).getPayload().getExpirationTimeSeconds();
    } catch (IOException | RuntimeException e) {
      // The parser's message may quote the input; do not pass it on.
      throw new IOException(from + " returned an ID token that is not a JWT with an exp claim ("
          + jwt.length() + " chars, " + e.getClass().getSimpleName() + ")");
    }
    if (exp == null) {
      throw new IOException(from + " returned an ID token without an exp claim");
    }
    return new Token(jwt, Instant.ofEpochSecond(exp));
  }

  /** The claims of a JWT, parsed as {@link #idToken} does, without verifying it (for display only). */
  static Optional<JsonWebToken.Payload> jwtClaims(String jwt) {
    try {
      return Optional.of(JsonWebSignature.parse(GsonFactory.getDefaultInstance(), jwt).getPayload());
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** True when {@code s} is 1 to {@code maxDigits} ASCII digits (never other scripts' digits). */
  public static boolean isAsciiDigits(String s, int maxDigits) {
    if (s.isEmpty() || s.length() > maxDigits) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /** True when every character of {@code s} is printable ASCII (space to tilde). */
  public static boolean isPrintableAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  /** The JSON string at {@code key}, or "" when absent, null or not a string (admin-API documents omit defaults). */
  static String jsonString(JsonObject o, String key) {
    if (o == null) {
      return "";
    }
    JsonElement e = o.get(key);
    return e != null && e.isJsonPrimitive() ? e.getAsString() : "";
  }

  /** The JSON object at {@code key}, if it is one. */
  static Optional<JsonObject> jsonObject(JsonObject o, String key) {
    if (o == null) {
      return Optional.empty();
    }
    JsonElement e = o.get(key);
    return e != null && e.isJsonObject() ? Optional.of(e.getAsJsonObject()) : Optional.empty();
  }

  /** The JSON array at {@code key}, or an empty array. */
  static JsonArray jsonArray(JsonObject o, String key) {
    if (o == null) {
      return new JsonArray();
    }
    JsonElement e = o.get(key);
    return e != null && e.isJsonArray() ? e.getAsJsonArray() : new JsonArray();
  }

  /** Reads and closes {@code in} as UTF-8, refusing bodies over {@code max} bytes; "" for null. */
  static String readBody(InputStream in, int max) throws IOException {
    if (in == null) {
      return "";
    }
    try (InputStream s = in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while ((n = s.read(buf)) != -1) {
        if (out.size() + n > max) {
          throw new IOException("response larger than " + max + " bytes");
        }
        out.write(buf, 0, n);
      }
      return out.toString(StandardCharsets.UTF_8);
    }
  }

  /** One line of at most {@code max} characters, for error messages. */
  static String abbreviate(String s, int max) {
    String t = s.strip().replaceAll("\\s+", " ");
    return t.length() > max ? t.substring(0, max) + "..." : t;
  }

  /** A timeout for HttpURLConnection: at least 1 ms (0 would mean forever). */
  static int timeoutMillis(Duration d) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis()));
  }
}
