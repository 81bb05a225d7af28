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
  private Nginx nginx;
  private int port;

  @BeforeEach
  void startNginx(@TempDir Path dir) throws Exception {
    nginx = Nginx.start(dir, """
            listen 127.0.0.1:%PORT%;
            keepalive_timeout 2s;
            location / { return 200 "ok\\n"; }
        """);
    port = nginx.port;
  }

  @AfterEach
  void stopNginx() throws InterruptedException {
    if (nginx != null) {
      nginx.close();
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
    long executed = nginx.logged("\"POST /orders");
    System.out.println("RELIABILITY nginx keepalive_timeout 2s: posts=" + sent + " ok=" + ok
        + " nginxExecuted=" + executed);
    assertThat(ok).isEqualTo(9);
    assertThat(executed).isEqualTo(9);
  }
}
