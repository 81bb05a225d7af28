package dev.privateegress.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Helpers shared by the SDK's small HttpURLConnection clients (metadata server, admin APIs). */
final class Bodies {
  private Bodies() {}

  /** Reads and closes {@code in} as UTF-8, refusing bodies over {@code max} bytes; "" for null. */
  static String read(InputStream in, int max) throws IOException {
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
  static int millis(Duration d) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis()));
  }
}
