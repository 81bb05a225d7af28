package dev.privateegress.benchmarks;

import com.google.auth.oauth2.ComputeEngineCredentials;
import com.google.auth.oauth2.IdTokenCredentials;
import dev.privateegress.TokenProvider;
import dev.privateegress.testing.FakeMetadataServer;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Metadata-server calls per 100,000 token-bearing requests across refreshes, SDK vs a hand-wired google-auth
 * {@code IdTokenCredentials} over {@code ComputeEngineCredentials} (calling {@code getRequestMetadata}, as
 * google-auth's HTTP adapters do per request). The fake metadata server runs in this JVM on the port of
 * {@code GCE_METADATA_HOST} (google-auth reads only the process environment) and mints tokens that live
 * {@code 3m45s + --fresh-ms}, so with both libraries' refresh margin of 3m45s each token is fresh for
 * {@code --fresh-ms} and then refreshed. 8 threads spread the requests over {@code --seconds}; the wall clock
 * is real for both (google-auth takes no clock). The ideal is one fetch plus one per fresh period.
 */
public final class TokenProbe {
  private TokenProbe() {}

  public static void main(String[] args) throws Exception {
    String md = System.getenv("GCE_METADATA_HOST");
    if (md == null || !md.startsWith("127.0.0.1:")) {
      throw new IllegalStateException("TokenProbe needs GCE_METADATA_HOST=127.0.0.1:PORT, was " + md);
    }
    int port = Integer.parseInt(md.substring(md.indexOf(':') + 1));
    long requests = Loopback.longArg(args, "--requests", 100_000);
    long seconds = Loopback.longArg(args, "--seconds", 6);
    long freshMs = Loopback.longArg(args, "--fresh-ms", 2000);
    try (FakeMetadataServer server = FakeMetadataServer.start(Clock.systemUTC(), port)) {
      server.tokenLifetime(Duration.ofMinutes(3).plusSeconds(45).plusMillis(freshMs));
      TokenProvider sdk = Loopback.egress(md, true, null).tokens();
      IdTokenCredentials raw = IdTokenCredentials.newBuilder()
          .setIdTokenProvider(ComputeEngineCredentials.create())
          .setTargetAudience(Loopback.AUDIENCE)
          .build();
      URI uri = URI.create("http://" + Loopback.HOST + "/items");
      int sdkCalls = count(server, requests, seconds, () -> sdk.idToken(Loopback.AUDIENCE));
      int rawCalls = count(server, requests, seconds, () -> raw.getRequestMetadata(uri));
      long ideal = 1 + seconds * 1000 / freshMs;
      System.out.printf(Locale.ROOT, "| metadata calls per %,d requests over %d s, tokens fresh for %.1f s "
          + "(ideal ≈ %d) | %d | %d | %s |%n", requests, seconds, freshMs / 1000.0, ideal, sdkCalls, rawCalls,
          JmhTables.ratio(sdkCalls, rawCalls));
    }
  }

  private static int count(FakeMetadataServer server, long requests, long seconds, AllocSites.Op op)
      throws Exception {
    server.resetCounts();
    int threads = 8;
    long perThread = requests / threads;
    long pauseNanos = seconds * 1_000_000_000L / perThread;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(threads);
    long start = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      new Thread(() -> {
        try {
          for (long i = 0; i < perThread; i++) {
            op.run();
            long due = start + (i + 1) * pauseNanos;
            long wait = due - System.nanoTime();
            if (wait > 0) {
              Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        } finally {
          done.countDown();
        }
      }).start();
    }
    done.await();
    if (failure.get() != null) {
      throw new IllegalStateException("a token request failed", failure.get());
    }
    Thread.sleep(200); // a background refresh (google-auth) may still be landing
    return server.identityRequests(Loopback.AUDIENCE);
  }
}
