package dev.privateegress.http;

import dev.privateegress.EgressListener;
import dev.privateegress.RetryPolicy;
import dev.privateegress.testing.NoDelayServerSocketFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.io.IOException;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;

/** Shared bits of the sdk-http tests. */
final class Fixtures {
  private Fixtures() {}

  /** Fast retries for tests: 3 attempts, 0-2 ms backoff, 10 s deadline, 12 attempts in startup grace. */
  static final RetryPolicy FAST = new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofSeconds(10), 12);

  /**
   * A started MockWebServer whose sockets set TCP_NODELAY. Without it, keep-alive exchanges on loopback wait
   * ~40 ms each (Nagle on the server's split writes meets the client's delayed ACK), which would make the
   * 1,000-call tests slow; it changes nothing in what the tests prove.
   */
  static MockWebServer server() throws IOException {
    MockWebServer server = new MockWebServer();
    server.setServerSocketFactory(new NoDelayServerSocketFactory());
    server.start();
    return server;
  }

  static MockResponse status(int code) {
    return new MockResponse.Builder().code(code).body("status " + code).build();
  }

  /** The {@code aud} claim of a {@code Bearer} JWT header value. */
  static String audienceOf(String bearer) {
    String jwt = bearer.substring("Bearer ".length());
    String payload = new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8);
    int i = payload.indexOf("\"aud\":\"") + 7;
    return payload.substring(i, payload.indexOf('"', i));
  }

  /** Records every listener event. */
  static final class Recorder implements EgressListener {
    final List<String> retries = new CopyOnWriteArrayList<>();
    final List<Duration> delays = new CopyOnWriteArrayList<>();
    final AtomicInteger budgetExhausted = new AtomicInteger();
    final AtomicInteger connectFailures = new AtomicInteger();
    /** Attempts whose outcome was "refused" (the server did not process them). */
    final AtomicInteger refused = new AtomicInteger();
    volatile Consumer<Integer> onRetry = n -> {};

    @Override
    public void attempt(String target, int attempt, String outcome, Duration took) {
      if (outcome.equals("refused")) {
        refused.incrementAndGet();
      }
    }

    @Override
    public void retry(String target, int attempt, Duration delay, String cause) {
      retries.add(target + " #" + attempt + " " + cause);
      delays.add(delay);
      onRetry.accept(retries.size());
    }

    @Override
    public void retryBudgetExhausted(String target) {
      budgetExhausted.incrementAndGet();
    }

    @Override
    public void connectFailed(String host, InetSocketAddress address, Throwable cause) {
      connectFailures.incrementAndGet();
    }
  }
}
