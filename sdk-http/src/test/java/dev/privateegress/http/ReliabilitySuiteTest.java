package dev.privateegress.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.EgressListener;
import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryBudget;
import dev.privateegress.RetryPolicy;
import dev.privateegress.TokenOptions;
import dev.privateegress.testing.FakeMetadataServer;
import dev.privateegress.testing.FaultProxy;
import dev.privateegress.testing.MisbehavingHttpServer;
import dev.privateegress.testing.MutableClock;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * The HTTP reliability suite behind RELIABILITY.md: loads against real, misbehaving servers on loopback.
 * Each test prints one {@code RELIABILITY} line with its figures.
 */
class ReliabilitySuiteTest {
  private static final MediaType TEXT = MediaType.get("text/plain");

  /** Counts attempt outcomes and call ends from the listener, as a metrics binder would. */
  static final class Counting implements EgressListener {
    final Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
    final AtomicInteger retries = new AtomicInteger();
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger succeeded = new AtomicInteger();
    final AtomicInteger budgetRefusals = new AtomicInteger();

    @Override
    public void attempt(String target, int attempt, String outcome, Duration took) {
      outcomes.computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public void retry(String target, int attempt, Duration delay, String cause) {
      retries.incrementAndGet();
    }

    @Override
    public void retryBudgetExhausted(String target) {
      budgetRefusals.incrementAndGet();
    }

    @Override
    public void callEnded(String target, int attempts, boolean ok) {
      calls.incrementAndGet();
      if (ok) {
        succeeded.incrementAndGet();
      }
    }

    int outcome(String name) {
      AtomicInteger n = outcomes.get(name);
      return n == null ? 0 : n.get();
    }

    int attempts() {
      return outcomes.values().stream().mapToInt(AtomicInteger::get).sum();
    }
  }

  private static void report(String line) {
    System.out.println("RELIABILITY " + line);
  }

  @Test
  void twoThousandGetsUnderResetsAnd503sAllSucceedWithinTheDeadline() throws Exception {
    Random random = new Random(42);
    AtomicInteger served503 = new AtomicInteger();
    try (MockWebServer server = Fixtures.server();
        FaultProxy proxy = FaultProxy.start(server.getPort())) {
      server.setDispatcher(new Dispatcher() {
        final Random r = new Random(7);

        @Override
        public MockResponse dispatch(RecordedRequest request) {
          boolean fail;
          synchronized (r) {
            fail = r.nextInt(100) < 5;
          }
          if (fail) {
            served503.incrementAndGet();
          }
          return new MockResponse.Builder().code(fail ? 503 : 200).setHeader("Connection", "close")
              .body(fail ? "unavailable" : "ok").build();
        }
      });
      // The server closes every connection after its answer, so each request opens a new one through the proxy,
      // and one connection in ten is reset by the proxy at once (RST) before anything reaches the server.
      List<FaultProxy.Behavior> behaviors = new ArrayList<>();
      for (int i = 0; i < 3_000; i++) {
        behaviors.add(random.nextInt(10) == 0 ? FaultProxy.Behavior.reset() : FaultProxy.Behavior.pass());
      }
      proxy.enqueue(behaviors.toArray(FaultProxy.Behavior[]::new));
      Counting events = new Counting();
      Duration deadline = Duration.ofSeconds(5);
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1"))
          .retryPolicy(new RetryPolicy(6, Duration.ofMillis(1), Duration.ofMillis(20), deadline, 12))
          .retryBudgets(() -> new RetryBudget(100, 0.5))
          .listener(events)
          .build();
      OkHttpClient client = PrivateHttp.newClient(egress);
      long start = System.nanoTime();
      long slowest = 0;
      int ok = 0;
      for (int i = 0; i < 2_000; i++) {
        long t0 = System.nanoTime();
        try (Response r = client.newCall(new Request.Builder()
            .url("http://my.api.private:" + proxy.port() + "/items/" + i).build()).execute()) {
          r.body().string();
          ok += r.code() == 200 ? 1 : 0;
        }
        slowest = Math.max(slowest, System.nanoTime() - t0);
      }
      long took = System.nanoTime() - start;
      report(String.format("gets=2000 ok=%d attempts=%d retries=%d resets=%d http503=%d budgetRefusals=%d "
              + "serverRequests=%d connections=%d slowestMs=%d totalMs=%d", ok, events.attempts(),
          events.retries.get(), events.outcome("reset") + events.outcome("io"), events.outcome("503"),
          events.budgetRefusals.get(), server.getRequestCount(), proxy.acceptedConnections(),
          TimeUnit.NANOSECONDS.toMillis(slowest), TimeUnit.NANOSECONDS.toMillis(took)));
      assertThat(ok).isEqualTo(2_000);
      assertThat(events.calls.get()).isEqualTo(2_000);
      assertThat(events.succeeded.get()).isEqualTo(2_000);
      assertThat(events.outcome("reset") + events.outcome("io")).as("resets seen").isGreaterThan(100);
      assertThat(server.getRequestCount()).isEqualTo(2_000 + events.outcome("503"));
      assertThat(events.outcome("503")).as("503s seen").isGreaterThan(50);
      assertThat(events.attempts()).isEqualTo(2_000 + events.retries.get());
      assertThat(slowest).isLessThan(deadline.toNanos());
    }
  }

  @Test
  void fiveHundredPlainPostsThroughClosingKeepAliveAndResetsRunExactlyOnce() throws Exception {
    Counting events = new Counting();
    PrivateEgress egress = PrivateEgress.builder()
        .environment(Map.of("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1"))
        .retryPolicy(Fixtures.FAST)
        .listener(events)
        .build();
    // 400 POSTs straight to a server that closes connections idle for 250 ms (nginx and gunicorn do at 2 s). The
    // short pauses stay far below that: a POST written in the very millisecond the server closes is HTTP/1.1's
    // own race, which no client can close, and a busy machine can stretch a 20 ms pause by tens of ms.
    try (MisbehavingHttpServer server = MisbehavingHttpServer.start(Duration.ofMillis(250))) {
      Outcome o = posts(egress, server.port(), 8, 50);
      report(String.format("posts(keep-alive 250 ms)=%d ok=%d serverExecuted=%d failed=%s serverIdleCloses=%d "
              + "connections=%d totalMs=%d", o.sent(), o.ok(), server.posts(), o.failures(), server.idleCloses(),
          server.connections(), o.millis()));
      assertThat(o.ok()).isEqualTo(400);
      assertThat(server.posts()).as("executed on the server = succeeded at the client").isEqualTo(o.ok());
      assertThat(server.idleCloses()).as("the server closed idle connections").isGreaterThan(100);
    }
    // 100 more through a proxy that resets one connection in ten at once, as a flaky middlebox does.
    try (MisbehavingHttpServer server = MisbehavingHttpServer.start(Duration.ofMillis(250));
        FaultProxy proxy = FaultProxy.start(server.port())) {
      Random random = new Random(11);
      List<FaultProxy.Behavior> behaviors = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        behaviors.add(random.nextInt(10) == 0 ? FaultProxy.Behavior.reset() : FaultProxy.Behavior.pass());
      }
      proxy.enqueue(behaviors.toArray(FaultProxy.Behavior[]::new));
      Outcome o = posts(egress, proxy.port(), 4, 25);
      report(String.format("posts(resets through proxy)=%d ok=%d serverExecuted=%d failed=%s connections=%d "
          + "retries=%d totalMs=%d", o.sent(), o.ok(), server.posts(), o.failures(), proxy.acceptedConnections(),
          events.retries.get(), o.millis()));
      assertThat(o.sent()).isEqualTo(100);
      assertThat(server.posts()).as("executed on the server = succeeded at the client").isEqualTo(o.ok());
      assertThat(o.failures()).doesNotContainKey("end-of-stream");
    }
  }

  record Outcome(int sent, int ok, Map<String, Integer> failures, long millis) {}

  /**
   * {@code threads} threads, each with its own client (so a connection's idle time is its thread's pause:
   * under 20 ms, or 300 ms and more, well past the server's keep-alive), each sending {@code each} plain POSTs.
   * A request written in the very millisecond the server closes is the race HTTP/1.1 leaves open (RFC 9112,
   * 9.6), which no client can prove either way; the pauses keep clear of it.
   */
  private static Outcome posts(PrivateEgress egress, int port, int threads, int each) throws Exception {
    AtomicInteger ok = new AtomicInteger();
    Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    long start = System.nanoTime();
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int seed = t;
        OkHttpClient client = PrivateHttp.newClient(egress);
        done.add(pool.submit(() -> {
          Random r = new Random(seed);
          for (int i = 0; i < each; i++) {
            sleep(r.nextBoolean() ? r.nextInt(20) : 400 + r.nextInt(100));
            Request post = new Request.Builder().url("http://my.api.private:" + port + "/orders")
                .post(RequestBody.create("order", TEXT)).build();
            try (Response resp = client.newCall(post).execute()) {
              resp.body().string();
              if (resp.code() == 200) {
                ok.incrementAndGet();
              }
            } catch (IOException e) {
              String kind = e.getMessage().contains("end of stream") ? "end-of-stream"
                  : e.getMessage().contains("reset") || e.getMessage().contains("broke") ? "reset" : "other";
              failures.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    Map<String, Integer> failed = new java.util.TreeMap<>();
    failures.forEach((k, v) -> failed.put(k, v.get()));
    int failedCount = failed.values().stream().mapToInt(Integer::intValue).sum();
    return new Outcome(ok.get() + failedCount, ok.get(), failed,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  @Test
  void metadataServerFaultsGiveTypedErrorsAndCachedTokensWithinTheDeadline() throws Exception {
    MutableClock clock = MutableClock.start();
    try (FakeMetadataServer md = FakeMetadataServer.start(clock);
        MockWebServer api = Fixtures.server()) {
      api.setDispatcher(new Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest request) {
          return Fixtures.status(200);
        }
      });
      Duration tokenDeadline = Duration.ofMillis(1_500);
      OkHttpClient client = PrivateHttp.newClient(egress(md.hostPort(), clock, tokenDeadline));
      String url = "http://my.api.private:" + api.getPort() + "/";
      StringBuilder figures = new StringBuilder();

      // a 503 burst longer than one fetch's attempts: typed failure, nothing sent, within the token deadline
      md.failNext(50, 503);
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> call(client, url)).isInstanceOf(TokenUnavailableException.class);
      long burstMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(burstMs).isLessThan(tokenDeadline.toMillis() + 1_000);
      assertThat(api.getRequestCount()).isZero();
      figures.append("burst503: TokenUnavailableException in ").append(burstMs).append(" ms; ");

      // the burst ends: a token is minted and cached; then the server stalls: the cached token is served
      md.failNext(0, 503);
      assertThat(call(client, url)).isEqualTo(200);
      int fetched = md.identityRequests();
      md.latency(Duration.ofSeconds(20));
      t0 = System.nanoTime();
      for (int i = 0; i < 100; i++) {
        assertThat(call(client, url)).isEqualTo(200);
      }
      long cachedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(md.identityRequests()).isEqualTo(fetched);
      figures.append("stall: 100 calls on the cached token in ").append(cachedMs).append(" ms; ");

      // stalled and the token expired: a typed failure no later than the token deadline
      clock.advance(Duration.ofHours(2));
      t0 = System.nanoTime();
      assertThatThrownBy(() -> call(client, url)).isInstanceOf(TokenUnavailableException.class);
      long stallMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(stallMs).isLessThan(tokenDeadline.toMillis() + 1_000);
      figures.append("stall+expired: TokenUnavailableException in ").append(stallMs).append(" ms; ");
      md.latency(Duration.ZERO);

      // an answer without Metadata-Flavor is not the metadata server: typed failure
      md.omitFlavorHeader(true);
      clock.advance(Duration.ofHours(2));
      assertThatThrownBy(() -> call(client, url)).isInstanceOf(TokenUnavailableException.class);
      md.omitFlavorHeader(false);
      figures.append("no Metadata-Flavor: TokenUnavailableException; ");
      report("metadata " + figures);
    }

    // garbage on the metadata port: typed failure within the deadline
    try (ServerSocket garbage = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        MockWebServer api = Fixtures.server()) {
      Thread t = new Thread(() -> {
        while (!garbage.isClosed()) {
          try (Socket s = garbage.accept(); OutputStream out = s.getOutputStream()) {
            out.write("\u0000\u0001garbage\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
          } catch (IOException e) {
            return;
          }
        }
      });
      t.setDaemon(true);
      t.start();
      OkHttpClient client = PrivateHttp.newClient(
          egress("127.0.0.1:" + garbage.getLocalPort(), MutableClock.start(), Duration.ofMillis(1_500)));
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> call(client, "http://my.api.private:" + api.getPort() + "/"))
          .isInstanceOf(TokenUnavailableException.class);
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(ms).isLessThan(2_500);
      assertThat(api.getRequestCount()).isZero();
      report("metadata garbage: TokenUnavailableException in " + ms + " ms");
    }
  }

  private static PrivateEgress egress(String metadataHost, MutableClock clock, Duration tokenDeadline) {
    Map<String, String> env = new HashMap<>();
    env.put("GCE_METADATA_HOST", metadataHost);
    env.put("K_SERVICE", "caller");
    env.put("K_REVISION", "caller-00001");
    env.put("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1");
    env.put("PRIVATE_EGRESS_AUDIENCES", "my.api.private=https://my-api");
    return PrivateEgress.builder().environment(env).clock(clock).retryPolicy(Fixtures.FAST)
        .tokenOptions(TokenOptions.defaults().withRetries(3, Duration.ofMillis(10), Duration.ofMillis(50),
            tokenDeadline))
        .build();
  }

  private static int call(OkHttpClient client, String url) throws IOException {
    try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
      r.body().string();
      return r.code();
    }
  }

  @Test
  void threadsAndSocketsAreBackToTheBaselineAfterClose() throws Exception {
    try (MockWebServer server = Fixtures.server(); FaultProxy proxy = FaultProxy.start(server.getPort())) {
      server.setDispatcher(new Dispatcher() {
        final AtomicLong n = new AtomicLong();

        @Override
        public MockResponse dispatch(RecordedRequest request) {
          return Fixtures.status(n.incrementAndGet() % 3 == 0 ? 503 : 200);
        }
      });
      OkHttpClient warmUp = PrivateHttp.newClient(PrivateEgress.builder()
          .environment(Map.of("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1")).build());
      call(warmUp, "http://my.api.private:" + server.getPort() + "/warm-up"); // classes and jars loaded
      warmUp.connectionPool().evictAll();
      Thread.sleep(200);
      Set<Thread> before = Thread.getAllStackTraces().keySet();
      int fdsBefore = openFiles();
      Set<String> fdNamesBefore = fdNames();
      OkHttpClient client = PrivateHttp.newClient(PrivateEgress.builder()
          .environment(Map.of("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1"))
          .retryPolicy(Fixtures.FAST).build());
      proxy.enqueue(FaultProxy.Behavior.reset(), FaultProxy.Behavior.pass(), FaultProxy.Behavior.cutAfter(10));
      for (int i = 0; i < 60; i++) {
        call(client, "http://my.api.private:" + proxy.port() + "/" + i);
      }
      int pooled = client.connectionPool().connectionCount();
      // OkHttp's documented shutdown: the SDK adds nothing that needs closing
      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
      int fdsAfter = -1;
      int clientSockets = -1;
      for (int i = 0; i < 50; i++) {
        fdsAfter = openFiles();
        clientSockets = openSocketsTo(proxy.port());
        if (clientSockets <= 0) {
          break;
        }
        Thread.sleep(100);
      }
      List<String> extra = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> !before.contains(t) && t.isAlive())
          .filter(t -> !t.getName().startsWith("MockWebServer") && !t.getName().startsWith("fault-proxy"))
          .map(t -> t.getName() + (t.isDaemon() ? " (daemon)" : ""))
          .collect(Collectors.toList());
      report("close: pooledBeforeClose=" + pooled + " clientSocketsAfter=" + clientSockets
          + " fdsBefore=" + fdsBefore + " fdsAfter=" + fdsAfter
          + " newThreadsAlive=" + extra + " newFds=" + newFds(fdNamesBefore));
      // The process's other new descriptors belong to the test's own proxy and server (their side of the
      // connections closes on their schedule); the client's side is what the SDK owns.
      if (clientSockets >= 0) {
        assertThat(pooled).isGreaterThan(0);
        assertThat(clientSockets).as("client sockets open after close").isZero();
      }
      // No thread of the SDK's; OkHttp's own shared daemons (task runner, okio watchdog) idle out by themselves.
      assertThat(extra).allMatch(n -> n.endsWith("(daemon)") && (n.startsWith("OkHttp") || n.startsWith("Okio")),
          "only OkHttp's and okio's shared daemons");
    }
  }

  /**
   * Sockets of this process still open (an inode, unlike TIME_WAIT leftovers) whose remote port is
   * {@code port}: the client's side of connections to it. -1 where /proc is absent.
   */
  private static int openSocketsTo(int port) {
    String hexPort = String.format(":%04X", port);
    int n = 0;
    boolean any = false;
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      try {
        List<String> lines = java.nio.file.Files.readAllLines(java.nio.file.Path.of(table));
        any = true;
        for (String line : lines.subList(1, lines.size())) {
          String[] f = line.trim().split("\\s+");
          if (f.length > 9 && f[2].endsWith(hexPort) && !f[9].equals("0")) {
            n++;
          }
        }
      } catch (IOException e) {
        // no such table
      }
    }
    return any ? n : -1;
  }

  private static Set<String> fdNames() {
    String[] fds = new File("/proc/self/fd").list();
    Set<String> names = new java.util.HashSet<>();
    for (String fd : fds == null ? new String[0] : fds) {
      try {
        names.add(fd + "=" + java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd", fd)));
      } catch (IOException e) {
        // closed meanwhile
      }
    }
    return names;
  }

  private static Set<String> newFds(Set<String> before) {
    Set<String> now = fdNames();
    now.removeAll(before);
    return now;
  }

  /** Open file descriptors of this process (Linux), or -1 where /proc is absent. */
  private static int openFiles() {
    String[] fds = new File("/proc/self/fd").list();
    return fds == null ? -1 : fds.length;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
