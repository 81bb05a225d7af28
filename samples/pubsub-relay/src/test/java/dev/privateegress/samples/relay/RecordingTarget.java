package dev.privateegress.samples.relay;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** The receiver inside the VPC: answers 200 and records every request it gets (headers and body size). */
final class RecordingTarget implements AutoCloseable {
  /** One forwarded request. */
  record Received(Map<String, List<String>> headers, long bodyBytes) {}

  private final HttpServer server;
  final List<Received> received = new CopyOnWriteArrayList<>();

  RecordingTarget() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.createContext("/", ex -> {
      long n;
      try (InputStream in = ex.getRequestBody()) {
        n = in.transferTo(java.io.OutputStream.nullOutputStream());
      }
      received.add(new Received(Map.copyOf(ex.getRequestHeaders()), n));
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  int count() {
    return received.size();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
