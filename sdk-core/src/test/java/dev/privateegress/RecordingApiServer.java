package dev.privateegress;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP server on 127.0.0.1 that plays an admin API: answers configured paths with recorded JSON
 * documents and records every request (path and Authorization header). Unknown paths get Google's 404.
 */
final class RecordingApiServer implements AutoCloseable {
  record Request(String method, String path, String authorization) {}

  private record Answer(int status, String body, boolean hang) {}

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "recording-api-server");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, Answer> answers = new ConcurrentHashMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final CountDownLatch release = new CountDownLatch(1);

  RecordingApiServer() {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** {@code http://127.0.0.1:PORT}, for {@code PrivateEgressBuilder.adminApiBaseUrl}. */
  String baseUrl() {
    return "http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort();
  }

  /** Answers GET {@code path} with {@code status} and the recorded document {@code resource} (admin-api/...). */
  RecordingApiServer answer(String path, int status, String resource) {
    answers.put(path, new Answer(status, document(resource), false));
    return this;
  }

  /** Answers GET {@code path} with a literal body. */
  RecordingApiServer answerRaw(String path, int status, String body) {
    answers.put(path, new Answer(status, body, false));
    return this;
  }

  /** Never answers {@code path} until the server is closed (a black hole for timeouts). */
  RecordingApiServer hang(String path) {
    answers.put(path, new Answer(0, "", true));
    return this;
  }

  List<Request> requests() {
    return List.copyOf(requests);
  }

  static String document(String resource) {
    try (InputStream in = RecordingApiServer.class.getResourceAsStream("/admin-api/" + resource)) {
      if (in == null) {
        throw new IllegalArgumentException("no test resource admin-api/" + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getRawPath();
      requests.add(new Request(ex.getRequestMethod(), path, ex.getRequestHeaders().getFirst("Authorization")));
      Answer a = answers.get(path);
      if (a == null) {
        a = new Answer(404, document("error-404.json"), false);
      }
      if (a.hang()) {
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return;
      }
      byte[] bytes = a.body().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
      ex.sendResponseHeaders(a.status(), bytes.length == 0 ? -1 : bytes.length);
      if (bytes.length > 0) {
        try (OutputStream out = ex.getResponseBody()) {
          out.write(bytes);
        }
      }
    }
  }

  @Override
  public void close() {
    release.countDown();
    server.stop(0);
    executor.shutdownNow();
  }
}
