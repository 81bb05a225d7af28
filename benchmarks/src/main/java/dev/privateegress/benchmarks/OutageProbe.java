package dev.privateegress.benchmarks;

import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryPolicy;
import dev.privateegress.http.PrivateHttp;
import dev.privateegress.testing.FaultProxy;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.core.functions.CheckedSupplier;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Outage amplification: how many attempts reach a server that is fully down, per logical GET, through
 * {@code PrivateHttp.newClient} (default per-target retry budget, 3 attempts per call) and through a raw
 * {@code OkHttpClient} wrapped in resilience4j alone with the same {@code maxAttempts}, retrying the same
 * statuses (429/502/503/504) and every {@link IOException}, with a similar exponential backoff. Outages:
 * <ul>
 *   <li>{@code 503}: nginx answers every request with 503; counted by nginx's access log (server side);
 *   <li>{@code 503 + Retry-After: 0}: the same with {@code Retry-After: 0}, which OkHttp itself replays once;
 *   <li>{@code refused}: nothing listens on the port; connect attempts counted by an OkHttp
 *       {@link EventListener} on both clients (a refused SYN reaches no server process that could count it);
 *   <li>{@code black hole}: a {@link FaultProxy} accepts and never answers; counted as accepted connections
 *       (server side), with a 100 ms read timeout on both clients.
 * </ul>
 * Calls run on 50 threads. Each scenario gets a fresh SDK configuration, so a fresh budget.
 */
public final class OutageProbe {
  private OutageProbe() {}

  public static void main(String[] args) throws Exception {
    int calls = (int) Loopback.longArg(args, "--calls", 1000);
    int port = Loopback.HTTP_PORT;
    Path log503 = Path.of(Loopback.arg(args, "--log-503"));
    Path log503ra = Path.of(Loopback.arg(args, "--log-503-retry-after-0"));
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "| outage (%d logical GETs, 50 threads) | SDK attempts per call "
        + "| resilience4j alone, maxAttempts 3 | SDK/raw | SDK target ≤ 1.2 | counted |%n", calls));
    out.append("|---|---:|---:|---:|---|---|\n");
    int refusedPort = freePort();
    try (FaultProxy blackHole = FaultProxy.start(port)) {
      blackHole.defaultBehavior(FaultProxy.Behavior.blackHole());
      Object[][] scenarios = {
          {"503", "http://127.0.0.1:" + port + "/unavailable", (LongSupplier) () -> lines(log503),
              "nginx access log"},
          {"503 + `Retry-After: 0`", "http://127.0.0.1:" + port + "/unavailable-retry-after-0",
              (LongSupplier) () -> lines(log503ra), "nginx access log"},
          {"connection refused", "http://127.0.0.1:" + refusedPort + "/items", null, "client connect attempts"},
          {"black hole (accepts, never answers)", "http://127.0.0.1:" + blackHole.port() + "/items",
              (LongSupplier) blackHole::acceptedConnections, "connections accepted by the proxy"},
      };
      for (Object[] s : scenarios) {
        String url = (String) s[1];
        LongSupplier server = (LongSupplier) s[2];
        double sdk = attempts(true, url, calls, server);
        double raw = attempts(false, url, calls, server);
        String row = String.format(Locale.ROOT, "| %s | %.2f | %.2f | %s | **%s** | %s |%n", s[0], sdk, raw,
            JmhTables.ratio(sdk, raw), sdk <= 1.2 ? "met" : "missed", s[3]);
        System.err.print(row);
        out.append(row);
      }
    }
    System.out.print(out);
  }

  /** Attempts per logical call that reached the server (or, for a refused port, that tried to connect). */
  private static double attempts(boolean viaSdk, String url, int calls, LongSupplier serverCount)
      throws Exception {
    AtomicLong connects = new AtomicLong();
    EventListener counter = new EventListener() {
      @Override
      public void connectStart(Call call, java.net.InetSocketAddress address, java.net.Proxy proxy) {
        connects.incrementAndGet();
      }
    };
    OkHttpClient.Builder b = new OkHttpClient.Builder()
        .eventListener(counter)
        .connectTimeout(Duration.ofSeconds(1))
        .readTimeout(Duration.ofMillis(100));
    OkHttpClient client;
    CheckedSupplier<Integer> call;
    Request request = new Request.Builder().url(url).build();
    if (viaSdk) {
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("PRIVATE_EGRESS_LOOKUP", "off"))
          .retryPolicy(RetryPolicy.defaults().withBackoff(Duration.ofMillis(1), Duration.ofMillis(10)))
          .build();
      client = PrivateHttp.configure(egress, b).build();
      call = () -> execute(client, request);
    } else {
      client = b.build();
      Retry retry = Retry.of("raw", RetryConfig.<Integer>custom()
          .maxAttempts(3)
          .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(Duration.ofMillis(1), 2.0, 1.0,
              Duration.ofMillis(10)))
          .retryOnResult(code -> code == 429 || code == 502 || code == 503 || code == 504)
          .retryExceptions(IOException.class)
          .failAfterMaxAttempts(false)
          .build());
      call = Retry.decorateCheckedSupplier(retry, () -> execute(client, request));
    }
    long before = serverCount == null ? 0 : serverCount.getAsLong();
    ExecutorService pool = Executors.newFixedThreadPool(50);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < calls; i++) {
        done.add(pool.submit(() -> {
          try {
            call.get();
          } catch (Throwable expected) {
            // the outage: every call fails in the end
          }
        }));
      }
      for (Future<?> f : done) {
        f.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
      client.connectionPool().evictAll();
      client.dispatcher().executorService().shutdown();
    }
    long count;
    if (serverCount == null) {
      count = connects.get();
    } else {
      Thread.sleep(300); // nginx writes its access log line after the response
      count = serverCount.getAsLong() - before;
    }
    return count / (double) calls;
  }

  private static int execute(OkHttpClient client, Request request) throws IOException {
    try (Response r = client.newCall(request).execute()) {
      return r.code();
    }
  }

  private static long lines(Path file) {
    try {
      if (!Files.exists(file)) {
        return 0;
      }
      try (var s = Files.lines(file)) {
        return s.count();
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
