package dev.privateegress.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One HTTP/1.1 GET to an address echo over addresses already resolved (so {@code PRIVATE_EGRESS_HOSTS} and the
 * doctor's DNS check apply): core has no HTTP client of its own, and the echo's answer is a few bytes. Reads at
 * most 4 KiB; https verifies the certificate against the JDK's trust store and the host name.
 */
final class EchoGet {
  private static final int MAX_BODY = 4096;

  private EchoGet() {}

  /** The trimmed body of a 200 answer. */
  static String get(URI uri, List<InetAddress> addresses, boolean tls, Duration timeout) throws IOException {
    int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
    int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    IOException last = null;
    for (InetAddress a : addresses) {
      Socket plain = new Socket();
      try {
        plain.connect(new InetSocketAddress(a, port), millis);
      } catch (IOException e) {
        plain.close();
        last = e;
        continue;
      }
      try (Socket s = tls ? wrap(plain, uri.getHost(), port) : plain) {
        s.setSoTimeout(millis);
        return exchange(s, uri);
      }
    }
    throw last != null ? last : new IOException("no address for " + uri.getHost());
  }

  private static Socket wrap(Socket plain, String host, int port) throws IOException {
    SSLSocket s = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault()).createSocket(plain, host, port, true);
    SSLParameters p = s.getSSLParameters();
    p.setEndpointIdentificationAlgorithm("HTTPS");
    s.setSSLParameters(p);
    s.startHandshake();
    return s;
  }

  private static String exchange(Socket s, URI uri) throws IOException {
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    if (uri.getRawQuery() != null) {
      path += "?" + uri.getRawQuery();
    }
    String hostHeader = uri.getPort() > 0 ? uri.getHost() + ":" + uri.getPort() : uri.getHost();
    OutputStream out = s.getOutputStream();
    out.write(("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nAccept: text/plain\r\n"
        + "User-Agent: private-egress-doctor\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = s.getInputStream();
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] buf = new byte[1024];
    for (int n; all.size() < MAX_BODY + 8192 && (n = in.read(buf)) > 0; ) {
      all.write(buf, 0, n);
    }
    String response = all.toString(StandardCharsets.ISO_8859_1);
    int headersEnd = response.indexOf("\r\n\r\n");
    if (!response.startsWith("HTTP/1.") || headersEnd < 0) {
      throw new IOException("not an HTTP answer from the address echo");
    }
    String status = response.substring(0, response.indexOf("\r\n"));
    String[] parts = status.split(" ", 3);
    if (parts.length < 2 || !parts[1].equals("200")) {
      throw new IOException("the address echo answered " + status);
    }
    String headers = response.substring(0, headersEnd).toLowerCase(Locale.ROOT);
    String body = response.substring(headersEnd + 4);
    if (headers.contains("\r\ntransfer-encoding: chunked")) {
      body = dechunk(body);
    }
    return body.length() > MAX_BODY ? body.substring(0, MAX_BODY) : body.trim();
  }

  private static String dechunk(String body) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    while (i < body.length()) {
      int eol = body.indexOf("\r\n", i);
      if (eol < 0) {
        break;
      }
      int size;
      try {
        size = Integer.parseInt(body.substring(i, eol).split(";")[0].trim(), 16);
      } catch (NumberFormatException e) {
        break;
      }
      if (size == 0 || eol + 2 + size > body.length()) {
        break;
      }
      sb.append(body, eol + 2, eol + 2 + size);
      i = eol + 2 + size + 2;
    }
    return sb.toString();
  }
}
