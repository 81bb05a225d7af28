package dev.privateegress.samples.support;

/**
 * Shows a value an outside caller chose (a token claim, a message id, a header) in a log line or an answer:
 * quoted, escaped and cut to a length, so it can neither start a log line of its own, nor drive a terminal,
 * nor fill the log.
 */
public final class Untrusted {
  /** Longer than any legitimate issuer, audience, key id, e-mail address or message id. */
  public static final int DEFAULT_LIMIT = 200;

  private Untrusted() {}

  /** {@link #shown(Object, int)} with {@link #DEFAULT_LIMIT}. */
  public static String shown(Object value) {
    return shown(value, DEFAULT_LIMIT);
  }

  /**
   * The value in double quotes, with {@code \} and {@code "} escaped, line breaks and tabs as {@code \n},
   * {@code \r}, {@code \t}, and every other control or format character (ESC of ANSI sequences, DEL, C1,
   * U+2028/U+2029, bidi overrides, zero-width characters) and lone surrogates as {@code \}{@code uXXXX}.
   * At most {@code limit} characters go between the quotes; a longer value is cut (never inside an escape
   * or a surrogate pair) and followed by its length, e.g. {@code "abc..." (5000 chars)}. {@code null} shows as
   * {@code null}.
   *
   * @throws IllegalArgumentException when {@code limit} is below 8
   */
  public static String shown(Object value, int limit) {
    if (limit < 8) {
      throw new IllegalArgumentException("limit must be at least 8 characters, was " + limit);
    }
    if (value == null) {
      return "null";
    }
    String s = value.toString();
    StringBuilder out = new StringBuilder(Math.min(s.length(), limit) + 24).append('"');
    int cut = 1; // where to cut if the whole value does not fit: the last piece boundary leaving room for "..."
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      String piece = escaped(cp);
      if (piece == null) {
        out.appendCodePoint(cp);
      } else {
        out.append(piece);
      }
      i += Character.charCount(cp);
      if (out.length() - 1 > limit) {
        out.setLength(cut);
        return out.append("...\" (").append(s.length()).append(" chars)").toString();
      }
      if (out.length() - 1 <= limit - 3) {
        cut = out.length();
      }
    }
    return out.append('"').toString();
  }

  /** The escape for a code point, or null when it is shown as it is. */
  private static String escaped(int cp) {
    switch (cp) {
      case '\\':
        return "\\\\";
      case '"':
        return "\\\"";
      case '\n':
        return "\\n";
      case '\r':
        return "\\r";
      case '\t':
        return "\\t";
      default:
        break;
    }
    switch (Character.getType(cp)) {
      case Character.CONTROL:
      case Character.FORMAT:
      case Character.LINE_SEPARATOR:
      case Character.PARAGRAPH_SEPARATOR:
      case Character.SURROGATE: // only lone ones get here: codePointAt joins pairs
      case Character.UNASSIGNED:
      case Character.PRIVATE_USE:
        return cp <= 0xFFFF ? String.format("\\u%04x", cp) : String.format("\\u{%x}", cp);
      default:
        return null;
    }
  }
}
