package dev.privateegress.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real nginx on a free loopback port for the reliability tests, run in the foreground with its own prefix
 * directory (pid, logs, temp files), so tests can read its access log (the server's count of requests it
 * executed) and reload it. The caller skips when nginx is not installed ({@link #assumeInstalled()}).
 */
final class Nginx implements AutoCloseable {
  static final String BINARY = System.getProperty("nginx", "/usr/sbin/nginx");

  final int port;
  final Path accessLog;
  private final Path dir;
  private final Path conf;
  private final Process process;

  private Nginx(Path dir, Path conf, int port, Process process) {
    this.dir = dir;
    this.conf = conf;
    this.port = port;
    this.accessLog = dir.resolve("access.log");
    this.process = process;
  }

  static void assumeInstalled() {
    assumeTrue(new File(BINARY).canExecute(), "nginx not installed at " + BINARY);
  }

  /**
   * Starts nginx in {@code dir} with one {@code server} block; {@code server} is its body, where {@code %PORT%}
   * stands for the port chosen here. Waits until it listens.
   */
  static Nginx start(Path dir, String server) throws Exception {
    assumeInstalled();
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Files.createDirectories(dir.resolve("tmp"));
    String text = """
        daemon off;
        worker_processes 1;
        pid %1$s/nginx.pid;
        error_log %1$s/error.log warn;
        events { worker_connections 256; }
        http {
          access_log %1$s/access.log;
          client_body_temp_path %1$s/tmp; proxy_temp_path %1$s/tmp; fastcgi_temp_path %1$s/tmp;
          uwsgi_temp_path %1$s/tmp; scgi_temp_path %1$s/tmp;
          server {
        %2$s
          }
        }
        """.formatted(dir, server.replace("%PORT%", Integer.toString(port)));
    Path conf = dir.resolve("nginx.conf");
    Files.writeString(conf, text);
    Process p = new ProcessBuilder(BINARY, "-p", dir.toString(), "-c", conf.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
    Nginx nginx = new Nginx(dir, conf, port, p);
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (Socket probe = new Socket()) {
        probe.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return nginx;
      } catch (IOException notYet) {
        assumeTrue(p.isAlive(), "nginx did not start: " + Files.readString(dir.resolve("stdout.log")));
        assertThat(System.nanoTime()).as("nginx listening").isLessThan(until);
        Thread.sleep(50);
      }
    }
  }

  /**
   * {@code nginx -s reload}: the master starts new workers and the old ones finish what they have in flight,
   * retire their connections (HTTP/2: a GOAWAY) and exit.
   */
  void reload() throws Exception {
    Process p = new ProcessBuilder(BINARY, "-p", dir.toString(), "-c", conf.toString(), "-s", "reload")
        .redirectErrorStream(true).redirectOutput(dir.resolve("reload.log").toFile()).start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("nginx -s reload finished").isTrue();
    assertThat(p.exitValue()).as("nginx -s reload: " + Files.readString(dir.resolve("reload.log"))).isZero();
  }

  /** Access log lines containing {@code needle} (e.g. {@code "POST /orders HTTP/2.0"}), after nginx wrote them. */
  long logged(String needle) throws Exception {
    Thread.sleep(200); // nginx writes the log line after the response
    if (!Files.exists(accessLog)) {
      return 0;
    }
    return Files.readAllLines(accessLog, StandardCharsets.UTF_8).stream().filter(l -> l.contains(needle)).count();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
