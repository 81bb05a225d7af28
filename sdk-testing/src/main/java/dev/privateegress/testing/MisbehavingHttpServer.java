package dev.privateegress.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small HTTP/1.1 server on loopback that behaves like the servers real clients meet, not like a test double:
 * it closes idle keep-alive connections after a short timeout (as nginx with {@code keepalive_timeout 2s},
 * gunicorn or Node do), and it can trickle its responses a byte at a time. It counts every request it read in
 * full, so a test can compare what the server executed with what the client believes.
 *
 * <pre>{@code
 * try (MisbehavingHttpServer server = MisbehavingHttpServer.start(Duration.ofMillis(200))) {
 *   server.enqueue(503, 503);                      // then 200s
 *   server.trickle(Duration.ofMillis(100));        // one response byte every 100 ms
 *   // http://127.0.0.1:server.port()/
 * }
 * }</pre>
 *
 * <p>Every request gets {@code 200 ok} unless a status was queued with {@link #enqueue}. Threads are daemons,
 * one per connection, and end on {@link #close()}. JDK only.
 */
public final class MisbehavingHttpServer implements AutoCloseable {
  private final ServerSocket server;
  private final Duration keepAlive;
  private final Thread acceptor;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final Queue<Integer> statuses = new ConcurrentLinkedQueue<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger posts = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger idleCloses = new AtomicInteger();
  private volatile long trickleNanos;
  private volatile boolean closed;

  private MisbehavingHttpServer(ServerSocket server, Duration keepAlive) {
    this.server = server;
    this.keepAlive = keepAlive;
    this.acceptor = new Thread(this::acceptLoop, "misbehaving-http-accept-" + server.getLocalPort());
    acceptor.setDaemon(true);
  }

  /**
   * Starts a server on a free loopback port.
   *
   * @param keepAlive how long an idle connection stays open between requests before the server closes it
   * @return the running server
   */
  public static MisbehavingHttpServer start(Duration keepAlive) {
    if (keepAlive.isNegative() || keepAlive.isZero()) {
      throw new IllegalArgumentException("keepAlive must be positive, was " + keepAlive);
    }
    try {
      ServerSocket s = new ServerSocket();
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
      MisbehavingHttpServer m = new MisbehavingHttpServer(s, keepAlive);
      m.acceptor.start();
      return m;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on loopback", e);
    }
  }

  /** @return the port it listens on, at 127.0.0.1 */
  public int port() {
    return server.getLocalPort();
  }

  /**
   * Answers the next requests with these statuses, in order; later ones get 200.
   *
   * @param codes HTTP status codes, e.g. 503
   * @return this server
   */
  public MisbehavingHttpServer enqueue(int... codes) {
    for (int c : codes) {
      statuses.add(c);
    }
    return this;
  }

  /**
   * Sends every response (status line, headers and body) one byte at a time, {@code perByte} apart;
   * {@code Duration.ZERO} turns it off.
   *
   * @param perByte pause before each byte
   * @return this server
   */
  public MisbehavingHttpServer trickle(Duration perByte) {
    this.trickleNanos = perByte.toNanos();
    return this;
  }

  /** @return requests read in full (and so executed), any method */
  public int requests() {
    return requests.get();
  }

  /** @return POST requests read in full */
  public int posts() {
    return posts.get();
  }

  /** @return connections accepted */
  public int connections() {
    return connections.get();
  }

  /** @return idle connections the server closed because its keep-alive timeout passed */
  public int idleCloses() {
    return idleCloses.get();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket s = server.accept();
        s.setTcpNoDelay(true);
        connections.incrementAndGet();
        open.add(s);
        Thread t = new Thread(() -> serve(s), "misbehaving-http-" + port() + "-" + connections.get());
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private void serve(Socket socket) {
    try (socket; InputStream in = new BufferedInputStream(socket.getInputStream());
        OutputStream out = socket.getOutputStream()) {
      boolean first = true;
      while (!closed) {
        // Between requests the connection is idle: close it once the keep-alive timeout passes.
        socket.setSoTimeout(first ? 10_000 : (int) Math.max(1, keepAlive.toMillis()));
        int b;
        try {
          b = in.read();
        } catch (SocketTimeoutException idle) {
          idleCloses.incrementAndGet();
          return;
        }
        if (b < 0) {
          return;
        }
        first = false;
        socket.setSoTimeout(10_000);
        String head = readHead(in, b);
        if (head == null) {
          return;
        }
        String method = head.substring(0, Math.max(0, head.indexOf(' ')));
        long length = contentLength(head);
        for (long i = 0; i < length; i++) {
          if (in.read() < 0) {
            return; // the client went away mid-body: not executed
          }
        }
        requests.incrementAndGet();
        if (method.equals("POST")) {
          posts.incrementAndGet();
        }
        Integer queued = statuses.poll();
        int code = queued == null ? 200 : queued;
        byte[] body = (code == 200 ? "ok" : "status " + code).getBytes(StandardCharsets.US_ASCII);
        String response = "HTTP/1.1 " + code + " " + (code == 200 ? "OK" : "Status") + "\r\n"
            + "Content-Type: text/plain\r\nContent-Length: " + body.length + "\r\n\r\n";
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(response.getBytes(StandardCharsets.US_ASCII));
        all.write(body);
        write(out, all.toByteArray());
      }
    } catch (IOException | InterruptedException e) {
      // the client closed or reset the connection, or the server is closing
    } finally {
      open.remove(socket);
    }
  }

  private void write(OutputStream out, byte[] bytes) throws IOException, InterruptedException {
    long pause = trickleNanos;
    if (pause <= 0) {
      out.write(bytes);
      out.flush();
      return;
    }
    for (byte b : bytes) {
      Thread.sleep(pause / 1_000_000, (int) (pause % 1_000_000));
      out.write(b);
      out.flush();
      if (closed) {
        return;
      }
    }
  }

  private static String readHead(InputStream in, int first) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    head.write(first);
    int matched = first == '\r' ? 1 : 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.write(b);
      if (head.size() > 64 * 1024) {
        return null;
      }
      matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
          ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  private static long contentLength(String head) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
        return Long.parseLong(line.substring(colon + 1).trim());
      }
    }
    return 0;
  }

  /** Stops accepting, closes every connection and waits briefly for the accept thread. */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing
    }
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing
      }
    }
    try {
      acceptor.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "MisbehavingHttpServer{port=" + port() + ", keepAlive=" + keepAlive + ", requests=" + requests + "}";
  }
}
