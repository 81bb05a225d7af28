package dev.privateegress.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryPolicy;
import dev.privateegress.testing.TlsMaterial;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.SocketEffect;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 connections the server retires: nginx with TLS and {@code http2} ending connections after a few
 * requests ({@code keepalive_requests}, a GOAWAY), reloaded while requests are in flight, and h2c with prior
 * knowledge refusing streams. A refused stream and a connection shut down before the stream was processed mean
 * the server did not process the request (RFC 9113 §8.7): every plain POST must succeed, and the server must
 * execute each exactly once.
 */
class Http2RetirementTest {
  private static final MediaType TEXT = MediaType.get("text/plain");
  private static TlsMaterial tls;

  @BeforeAll
  static void certificates() {
    Nginx.assumeInstalled();
    assumeTrue(TlsMaterial.opensslAvailable(), "openssl not installed");
    tls = TlsMaterial.generate();
  }

  @AfterAll
  static void removeCertificates() {
    if (tls != null) {
      tls.close();
    }
  }

  private static String tlsServer(String extra) {
    return """
            listen 127.0.0.1:%%PORT%% ssl http2;
            ssl_certificate %s;
            ssl_certificate_key %s;
        %s
        """.formatted(tls.serverCertificate(), tls.serverKey(), extra);
  }

  @Test
  void plainPostsOnConnectionsRetiredEveryFewRequestsAllSucceedOnce(@TempDir Path dir) throws Exception {
    try (Nginx nginx = Nginx.start(dir, tlsServer("""
            keepalive_requests 4;
            location / { return 200 "ok\\n"; }
        """))) {
      Fixtures.Recorder events = new Fixtures.Recorder();
      OkHttpClient client = trusting(PrivateHttp.newClient(egress(events)));
      String url = "https://localhost:" + nginx.port + "/orders";
      int ok = concurrently(24, i -> post(client, url));
      long executed = nginx.logged("\"POST /orders HTTP/2.0\"");
      int gets = concurrently(24, i -> get(client, "https://localhost:" + nginx.port + "/items"));
      long getsExecuted = nginx.logged("\"GET /items HTTP/2.0\"");
      System.out.println("RELIABILITY nginx http2 keepalive_requests 4: posts=24 ok=" + ok + " nginxExecuted="
          + executed + "; gets=24 ok=" + gets + " nginxExecuted=" + getsExecuted + "; refused attempts="
          + events.refused.get());
      assertThat(events.refused.get()).as("streams nginx refused (the case under test)").isPositive();
      assertThat(ok).isEqualTo(24);
      assertThat(executed).isEqualTo(24);
      assertThat(gets).isEqualTo(24);
      assertThat(getsExecuted).isEqualTo(24);
    }
  }

  @Test
  void sixtyConcurrentPostsOnConnectionsRetiredEveryTwoRequestsAllSucceedOnce(@TempDir Path dir) throws Exception {
    // 60 callers share one HTTP/2 connection at a time and each connection takes 2 of them: the last caller is
    // refused on about 30 connections in a row before its turn, far more than a fixed per-call bound.
    try (Nginx nginx = Nginx.start(dir, tlsServer("""
            keepalive_requests 2;
            location / { return 200 "ok\\n"; }
        """))) {
      Fixtures.Recorder events = new Fixtures.Recorder();
      OkHttpClient client = trusting(PrivateHttp.newClient(egress(events)));
      String url = "https://localhost:" + nginx.port + "/orders";
      int ok = concurrently(60, i -> post(client, url));
      long executed = nginx.logged("\"POST /orders HTTP/2.0\"");
      System.out.println("RELIABILITY nginx http2 keepalive_requests 2: posts=60 ok=" + ok + " nginxExecuted="
          + executed + "; refused attempts=" + events.refused.get());
      assertThat(ok).isEqualTo(60);
      assertThat(executed).isEqualTo(60);
    }
  }

  @Test
  void sixtyCallersPostingThroughAProxyRetiringConnectionsEveryThreeRequestsAllSucceedOnce(@TempDir Path dir)
      throws Exception {
    // 60 callers, 4 POSTs each, share HTTP/2 connections nginx retires after 3 requests, in front of a backend
    // answering after 5 ms: nginx refuses the streams past the third at once, long before it answers the three, so
    // a caller is refused many times in a row while no answer has come back yet.
    AtomicInteger backendPosts = new AtomicInteger();
    HttpServer backend = delayedBackend(5, backendPosts);
    try (Nginx nginx = Nginx.start(dir, tlsServer("""
            keepalive_requests 3;
            location / { proxy_pass http://127.0.0.1:%d; }
        """.formatted(backend.getAddress().getPort())))) {
      Fixtures.Recorder events = new Fixtures.Recorder();
      OkHttpClient client = trusting(PrivateHttp.newClient(egress(events)));
      String url = "https://localhost:" + nginx.port + "/orders";
      int ok = concurrently(60, i -> {
        int done = 0;
        for (int n = 0; n < 4; n++) {
          done += post(client, url);
        }
        return done;
      });
      long executed = nginx.logged("\"POST /orders HTTP/2.0\"");
      System.out.println("RELIABILITY nginx http2 keepalive_requests 3 proxied: posts=240 ok=" + ok
          + " nginxExecuted=" + executed + " backendExecuted=" + backendPosts.get() + "; refused attempts="
          + events.refused.get());
      assertThat(ok).isEqualTo(240);
      assertThat(executed).isEqualTo(240);
      assertThat(backendPosts.get()).isEqualTo(240);
    } finally {
      backend.stop(0);
      ((ExecutorService) backend.getExecutor()).shutdownNow();
    }
  }

  /** A backend counting POSTs and answering each after {@code millis}. */
  private static HttpServer delayedBackend(int millis, AtomicInteger posts) throws IOException {
    HttpServer backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    backend.createContext("/", exchange -> {
      try (InputStream in = exchange.getRequestBody()) {
        in.readAllBytes();
      }
      if (exchange.getRequestMethod().equals("POST")) {
        posts.incrementAndGet();
      }
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      byte[] body = "ok\n".getBytes(StandardCharsets.US_ASCII);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    backend.setExecutor(Executors.newFixedThreadPool(16));
    backend.start();
    return backend;
  }

  @Test
  void plainPostsSurviveReloadsWithStreamsInFlight(@TempDir Path dir) throws Exception {
    // nginx proxies to a backend that answers after 20 ms, so a reload always finds streams in flight: the old
    // worker finishes them, sends GOAWAY and refuses what arrives after it.
    AtomicInteger backendPosts = new AtomicInteger();
    HttpServer backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    backend.createContext("/", exchange -> {
      try (InputStream in = exchange.getRequestBody()) {
        in.readAllBytes();
      }
      if (exchange.getRequestMethod().equals("POST")) {
        backendPosts.incrementAndGet();
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      byte[] body = "ok\n".getBytes(StandardCharsets.US_ASCII);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    backend.setExecutor(Executors.newFixedThreadPool(16));
    backend.start();
    try (Nginx nginx = Nginx.start(dir, tlsServer("""
            location / { proxy_pass http://127.0.0.1:%d; }
        """.formatted(backend.getAddress().getPort())))) {
      Fixtures.Recorder events = new Fixtures.Recorder();
      OkHttpClient client = trusting(PrivateHttp.newClient(egress(events)));
      String url = "https://localhost:" + nginx.port + "/orders";
      // 16 threads x 6 POSTs; nginx reloads after every 20 POSTs started, whatever the machine's speed.
      AtomicInteger sent = new AtomicInteger();
      ExecutorService reloader = Executors.newSingleThreadExecutor();
      Future<?> reloads = reloader.submit(() -> {
        for (int i = 1; i <= 4; i++) {
          while (sent.get() < 20 * i) {
            Thread.sleep(5);
          }
          nginx.reload();
        }
        return null;
      });
      int ok = concurrently(16, i -> {
        int done = 0;
        for (int n = 0; n < 6; n++) {
          sent.incrementAndGet();
          try {
            done += post(client, url);
          } catch (IOException e) {
            System.out.println("failed: " + e);
          }
        }
        return done;
      });
      reloads.get(30, TimeUnit.SECONDS);
      reloader.shutdown();
      long executed = nginx.logged("\"POST /orders HTTP/2.0\"");
      System.out.println("RELIABILITY nginx http2 reloads x4: posts=" + sent + " ok=" + ok + " nginxExecuted="
          + executed + " backendExecuted=" + backendPosts.get() + "; refused attempts=" + events.refused.get());
      assertThat(ok).isEqualTo(sent.get());
      assertThat(executed).isEqualTo(sent.get());
      assertThat(backendPosts.get()).isEqualTo(sent.get());
    } finally {
      backend.stop(0);
      ((ExecutorService) backend.getExecutor()).shutdownNow();
    }
  }

  @Test
  void refusedStreamOverH2cIsResentForPlainPostWithoutSpendingAnAttempt() throws Exception {
    try (MockWebServer server = new MockWebServer()) {
      server.setProtocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE));
      server.start();
      // Two refused streams, then the answer: a policy of one attempt still gets there.
      for (int i = 0; i < 2; i++) {
        server.enqueue(new MockResponse.Builder().onRequestStart(new SocketEffect.CloseStream(7)).build());
      }
      server.enqueue(new MockResponse.Builder().body("done").build());
      OkHttpClient client = PrivateHttp.newClient(PrivateEgress.builder()
              .environment(Map.of())
              .retryPolicy(new RetryPolicy(1, Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofSeconds(10), 1))
              .build())
          .newBuilder().protocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE)).build();
      Request post = new Request.Builder().url(server.url("/orders")).post(RequestBody.create("order", TEXT)).build();
      try (Response r = client.newCall(post).execute()) {
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.body().string()).isEqualTo("done");
        assertThat(r.protocol()).isEqualTo(Protocol.H2_PRIOR_KNOWLEDGE);
      }
      assertThat(server.getRequestCount()).isEqualTo(3);
    }
  }

  @Test
  void streamsRefusedWithoutEndAreReportedAsNotProcessed() throws Exception {
    try (MockWebServer server = new MockWebServer()) {
      server.setProtocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE));
      server.start();
      for (int i = 0; i < 40; i++) {
        server.enqueue(new MockResponse.Builder().onRequestStart(new SocketEffect.CloseStream(7)).build());
      }
      OkHttpClient client = PrivateHttp.newClient(egress())
          .newBuilder().protocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE)).build();
      Request post = new Request.Builder().url(server.url("/orders")).post(RequestBody.create("order", TEXT)).build();
      IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
          () -> client.newCall(post).execute().close());
      assertThat(e.getMessage())
          .contains("did not process the request")
          .contains("sent again " + dev.privateegress.http.internal.HttpClients.MAX_REFUSED_RESENDS + " times")
          .doesNotContain("may have received");
      // bounded: the refused re-sends of one call stop at the SDK's budget while the server answers nothing
      assertThat(server.getRequestCount())
          .isEqualTo(Fixtures.FAST.maxAttempts() + dev.privateegress.http.internal.HttpClients.MAX_REFUSED_RESENDS);
    }
  }

  private static PrivateEgress egress() {
    return egress(new Fixtures.Recorder());
  }

  private static PrivateEgress egress(Fixtures.Recorder events) {
    return PrivateEgress.builder().environment(Map.of()).retryPolicy(Fixtures.FAST).listener(events).build();
  }

  private static int post(OkHttpClient client, String url) throws IOException {
    Request post = new Request.Builder().url(url).post(RequestBody.create("order", TEXT)).build();
    try (Response r = client.newCall(post).execute()) {
      r.body().string();
      return r.code() == 200 ? 1 : 0;
    }
  }

  private static int get(OkHttpClient client, String url) throws IOException {
    try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
      r.body().string();
      return r.code() == 200 ? 1 : 0;
    }
  }

  interface Task {
    int run(int i) throws Exception;
  }

  /** Runs {@code n} tasks at once and sums what they return; a task that throws counts 0 (and is printed). */
  static int concurrently(int n, Task task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<Integer>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int k = i;
        Callable<Integer> c = () -> {
          start.await();
          try {
            return task.run(k);
          } catch (IOException e) {
            System.out.println("failed: " + e);
            return 0;
          }
        };
        futures.add(pool.submit(c));
      }
      start.countDown();
      int sum = 0;
      for (Future<Integer> f : futures) {
        sum += f.get(60, TimeUnit.SECONDS);
      }
      return sum;
    } finally {
      pool.shutdownNow();
    }
  }

  /** {@code client} trusting the test CA (nginx's certificate names localhost and 127.0.0.1). */
  private static OkHttpClient trusting(OkHttpClient client) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    try (InputStream in = java.nio.file.Files.newInputStream(tls.caCertificate())) {
      store.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    X509TrustManager tm = (X509TrustManager) tmf.getTrustManagers()[0];
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, new javax.net.ssl.TrustManager[] {tm}, null);
    return client.newBuilder().sslSocketFactory(ssl.getSocketFactory(), tm).build();
  }
}
