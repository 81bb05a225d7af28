package dev.privateegress.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.privateegress.PrivateEgress;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plain POSTs against a real nginx with {@code keepalive_timeout 2s}: pooled connections nginx closed while
 * idle must not fail a POST, and every POST must run exactly once (nginx's access log is the server's count).
 * Skipped when nginx is not installed.
 */
class NginxKeepAliveTest {
  private static final String NGINX = System.getProperty("nginx", "/usr/sbin/nginx");
  private Process nginx;
  private int port;
  private Path accessLog;

  @BeforeEach
  void startNginx(@TempDir Path dir) throws Exception {
    assumeTrue(new File(NGINX).canExecute(), "nginx not installed at " + NGINX);
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    accessLog = dir.resolve("access.log");
    Files.createDirectories(dir.resolve("tmp"));
    String conf = """
        daemon off;
        worker_processes 1;
        pid %1$s/nginx.pid;
        error_log %1$s/error.log warn;
        events { worker_connections 64; }
        http {
          access_log %1$s/access.log;
          client_body_temp_path %1$s/tmp; proxy_temp_path %1$s/tmp; fastcgi_temp_path %1$s/tmp;
          uwsgi_temp_path %1$s/tmp; scgi_temp_path %1$s/tmp;
          server {
            listen 127.0.0.1:%2$d;
            keepalive_timeout 2s;
            location / { return 200 "ok\\n"; }
          }
        }
        """.formatted(dir, port);
    Path confFile = dir.resolve("nginx.conf");
    Files.writeString(confFile, conf);
    nginx = new ProcessBuilder(NGINX, "-p", dir.toString(), "-c", confFile.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (Socket probe = new Socket()) {
        probe.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        break;
      } catch (IOException notYet) {
        assumeTrue(nginx.isAlive(), "nginx did not start: " + Files.readString(dir.resolve("stdout.log")));
        assertThat(System.nanoTime()).as("nginx listening").isLessThan(until);
        Thread.sleep(50);
      }
    }
  }

  @AfterEach
  void stopNginx() throws InterruptedException {
    if (nginx != null) {
      nginx.destroy();
      if (!nginx.waitFor(5, TimeUnit.SECONDS)) {
        nginx.destroyForcibly();
      }
    }
  }

  @Test
  void plainPostsOnConnectionsNginxClosedSucceedAndRunOnce() throws Exception {
    OkHttpClient client = PrivateHttp.newClient(PrivateEgress.builder()
        .environment(Map.of("PRIVATE_EGRESS_HOSTS", "api.private=127.0.0.1"))
        .retryPolicy(Fixtures.FAST).build());
    ExecutorService pool = Executors.newFixedThreadPool(3);
    int ok = 0;
    int sent = 0;
    try {
      for (int round = 0; round < 3; round++) {
        if (round > 0) {
          Thread.sleep(2_400); // nginx closes the idle pooled connections after 2 s
        }
        List<Future<Integer>> calls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          calls.add(pool.submit(() -> {
            Request post = new Request.Builder().url("http://api.private:" + port + "/orders")
                .post(RequestBody.create("order", MediaType.get("text/plain"))).build();
            try (Response r = client.newCall(post).execute()) {
              r.body().string();
              return r.code();
            }
          }));
        }
        for (Future<Integer> f : calls) {
          sent++;
          ok += f.get(20, TimeUnit.SECONDS) == 200 ? 1 : 0;
        }
      }
    } finally {
      pool.shutdownNow();
    }
    Thread.sleep(200); // nginx writes the log line after the response
    long executed = Files.readAllLines(accessLog, StandardCharsets.UTF_8).stream()
        .filter(l -> l.contains("\"POST /orders")).count();
    System.out.println("RELIABILITY nginx keepalive_timeout 2s: posts=" + sent + " ok=" + ok
        + " nginxExecuted=" + executed);
    assertThat(ok).isEqualTo(9);
    assertThat(executed).isEqualTo(9);
  }
}
