package dev.privateegress.internal;

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
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root;
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
}
