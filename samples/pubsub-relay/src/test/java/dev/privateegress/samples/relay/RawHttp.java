package dev.privateegress.samples.relay;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 written by hand, as an outside caller can: any Content-Length, a body that stops, bytes no client
 * library would send. One request per connection.
 */
final class RawHttp {
  /** The answer: status (0 when the connection closed without one) and body. */
  record Answer(int status, String head, String body) {}

  private RawHttp() {}

  /**
   * Sends the request line and {@code headers} (CRLF-separated, without the final blank line), then
   * {@code body}, then reads the answer until the server closes the connection or {@code readTimeoutMillis}
   * passes without a byte.
   */
  static Answer post(int port, String headers, byte[] body, int readTimeoutMillis) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
      s.setSoTimeout(readTimeoutMillis);
      OutputStream out = s.getOutputStream();
      out.write(("POST / HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n" + headers + "\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      return read(s.getInputStream());
    }
  }

  static Answer read(InputStream in) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      for (int n; (n = in.read(buf)) >= 0; ) {
        got.write(buf, 0, n);
      }
    } catch (java.net.SocketException e) {
      // reset after the answer: keep what arrived
    }
    String all = got.toString(StandardCharsets.ISO_8859_1);
    int end = all.indexOf("\r\n\r\n");
    if (!all.startsWith("HTTP/1.1 ") || end < 0) {
      return new Answer(0, all, "");
    }
    return new Answer(Integer.parseInt(all.substring(9, 12)), all.substring(0, end),
        new String(got.toByteArray(), end + 4, got.size() - end - 4, StandardCharsets.UTF_8));
  }
}
