package dev.privateegress.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * 10,000 virtual threads (JDK 21+; the module compiles for 17, so the executor is looked up reflectively)
 * through one shared HTTP client and one shared Redis client, SDK and raw in turn: each virtual thread makes
 * {@code --calls} GETs. Reports calls per second and the carrier pinning JFR saw: every
 * {@code jdk.VirtualThreadPinned} event (threshold 0, i.e. every pin, however short), with the frame that
 * pinned. Failed calls are counted, not hidden; a run is cut off after {@code --limit-seconds} and the calls
 * still unfinished are reported. {@code --incr} runs instead a burst of INCR through the SDK's
 * {@code UnifiedJedis} and raw Jedis {@code RedisClient} (one pool of 8 each, one redis-server), e.g.
 * {@code --incr --threads 2000 --calls 20}: failures, total time and commands per second of each.
 *
 * <pre>
 * $JDK25/bin/java -Dbench.http.port=… -Dbench.redis.port=… -Dbench.metadata=… -cp benchmarks.jar \
 *     dev.privateegress.benchmarks.VirtualThreadsProbe --threads 10000 --calls 2
 * </pre>
 */
public final class VirtualThreadsProbe {
  private VirtualThreadsProbe() {}

  public static void main(String[] args) throws Exception {
    int threads = (int) Loopback.longArg(args, "--threads", 10_000);
    int calls = (int) Loopback.longArg(args, "--calls", 2);
    long limit = Loopback.longArg(args, "--limit-seconds", 60);
    if (java.util.Arrays.asList(args).contains("--incr")) {
      incr(threads, calls, limit);
      return;
    }
    HttpBenchmark http = new HttpBenchmark();
    http.start();
    RedisBenchmark redis = new RedisBenchmark();
    redis.setUp();
    AllocSites.Op[][] pairs = {
        {http::sdkWithToken, http::raw},
        {redis::getSdk, redis::getRaw},
    };
    String[] names = {"HTTP GET with ID token", "Redis GET"};
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "| %,d virtual threads × %d calls, one shared client | SDK calls/s "
        + "| raw calls/s | SDK/raw | pinned SDK (JFR events) | pinned raw | failed calls SDK, raw |%n",
        threads, calls));
    out.append("|---|---:|---:|---:|---:|---:|---|\n");
    StringBuilder pins = new StringBuilder();
    try {
      String only = Loopback.arg(args, "--only");
      for (int i = 0; i < pairs.length; i++) {
        if (only != null && !names[i].toLowerCase(Locale.ROOT).contains(only)) {
          continue;
        }
        for (AllocSites.Op op : pairs[i]) {
          for (int w = 0; w < 2000; w++) {
            op.run();
          }
          // and once on 100 virtual threads, unrecorded: the first virtual-thread socket I/O of the JVM
          // initialises classes (a pin JFR would charge to whichever client ran first)
          run(op, 100, 1, limit);
        }
        Result sdk = run(pairs[i][0], threads, calls, limit);
        System.err.println(names[i] + " SDK: " + sdk);
        Result raw = run(pairs[i][1], threads, calls, limit);
        System.err.println(names[i] + " raw: " + raw);
        String row = String.format(Locale.ROOT, "| %s | %s | %s | **%s** | **%d** | %d | %d, %d |%n",
            names[i], sdk.rateText(), raw.rateText(), JmhTables.ratio(sdk.rate, raw.rate), sdk.pinned, raw.pinned,
            sdk.failed, raw.failed);
        System.err.print(row);
        out.append(row);
        describe(pins, names[i] + ", SDK", sdk);
        describe(pins, names[i] + ", raw", raw);
      }
    } finally {
      http.stop();
      redis.tearDown();
    }
    System.out.print(out);
    System.out.print(pins);
    System.out.flush();
    // virtual threads of an unfinished run may still be queued on a client: do not wait for them
    System.exit(0);
  }

  /** The INCR burst: every command must succeed; the pool is shared by all virtual threads. */
  private static void incr(int threads, int calls, long limit) throws Exception {
    RedisBenchmark redis = new RedisBenchmark();
    redis.setUp();
    AllocSites.Op[] ops = {redis::incrSdk, redis::incrRaw};
    String[] names = {"SDK (`PrivateRedis.connect`, `UnifiedJedis`)", "raw Jedis (`RedisClient`)"};
    Result[] results = new Result[2];
    String counters;
    try {
      for (AllocSites.Op op : ops) {
        for (int w = 0; w < 2000; w++) {
          op.run();
        }
        run(op, 100, 1, limit);
      }
      // and one whole burst each, unrecorded: otherwise whichever client goes first runs about half as fast
      // (JIT of the virtual-thread scheduler and pool paths), whichever it is
      for (AllocSites.Op op : ops) {
        run(op, threads, calls, limit);
      }
      for (int i = 0; i < 2; i++) {
        results[i] = run(ops[i], threads, calls, limit);
        System.err.println(names[i] + ": " + results[i]);
      }
      // what the server applied: warm-up (2,000 + 100 + one burst) and the burst, from a fresh server's zero
      counters = redis.raw.get("bench:sdk") + " (SDK key), " + redis.raw.get("bench:raw") + " (raw key)";
    } finally {
      redis.tearDown();
    }
    System.out.printf(Locale.ROOT, "| %,d virtual threads × %d INCR, one redis-server | failed | unfinished | total time "
        + "| commands/s |%n|---|---:|---:|---:|---:|%n", threads, calls);
    for (int i = 0; i < 2; i++) {
      Result r = results[i];
      System.out.printf(Locale.ROOT, "| %s | %d | %d | %.2f s | %.0f |%n", names[i], r.failed, r.unfinished,
          r.seconds, r.rate);
    }
    System.out.printf(Locale.ROOT, "%nSDK/raw commands/s: **%s**; counters on the server after the run (warm-up "
        + "included): %s%n", JmhTables.ratio(results[0].rate, results[1].rate), counters);
    for (int i = 0; i < 2; i++) {
      if (results[i].firstFailure != null) {
        System.out.printf(Locale.ROOT, "%nFirst failure (%s): %s%n", names[i], results[i].firstFailure);
      }
    }
    System.out.flush();
    System.exit(0);
  }

  private static void describe(StringBuilder pins, String what, Result r) {
    if (r.pinnedAt.isEmpty()) {
      return;
    }
    pins.append("\nPinned (").append(what).append("): ");
    r.pinnedAt.forEach((frame, n) -> pins.append(n).append(" × `").append(frame).append("`; "));
    pins.append(r.firstFailure == null ? "" : "first failure: " + r.firstFailure);
    pins.append('\n');
  }

  private record Result(double rate, long pinned, long failed, Map<String, Integer> pinnedAt,
      String firstFailure, long unfinished, double seconds) {
    String rateText() {
      return unfinished == 0 ? String.format(Locale.ROOT, "%.0f", rate) : String.format(Locale.ROOT,
          "%.0f (**%,d calls unfinished after %.0f s**)", rate, unfinished, seconds);
    }
  }

  private static Result run(AllocSites.Op op, int threads, int calls, long limitSeconds) throws Exception {
    Path file = Files.createTempFile("vt", ".jfr");
    AtomicLong failed = new AtomicLong();
    AtomicLong finished = new AtomicLong();
    // set when the run is cut off: failures after it are the cut-off's interrupts, not the client's
    java.util.concurrent.atomic.AtomicBoolean cut = new java.util.concurrent.atomic.AtomicBoolean();
    String[] firstFailure = new String[1];
    long t0;
    long t1;
    try (Recording rec = new Recording()) {
      rec.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
      rec.start();
      ExecutorService vts = (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor")
          .invoke(null);
      t0 = System.nanoTime();
      List<Future<?>> futures = new ArrayList<>(threads);
      for (int i = 0; i < threads; i++) {
        futures.add(vts.submit(() -> {
          for (int c = 0; c < calls; c++) {
            try {
              op.run();
              finished.incrementAndGet();
            } catch (Exception e) {
              if (cut.get()) {
                return;
              }
              failed.incrementAndGet();
              synchronized (firstFailure) {
                if (firstFailure[0] == null) {
                  firstFailure[0] = e.toString();
                }
              }
            }
          }
        }));
      }
      long end = t0 + TimeUnit.SECONDS.toNanos(limitSeconds);
      for (Future<?> f : futures) {
        try {
          f.get(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
          break;
        }
      }
      t1 = System.nanoTime();
      cut.set(true);
      vts.shutdownNow();
      rec.stop();
      rec.dump(file);
    }
    long pinned = 0;
    Map<String, Integer> at = new TreeMap<>();
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      if (e.getEventType().getName().equals("jdk.VirtualThreadPinned")) {
        pinned++;
        at.merge(firstNonJdkFrame(e), 1, Integer::sum);
      }
    }
    Files.deleteIfExists(file);
    long total = (long) threads * calls;
    long ok = finished.get();
    return new Result(ok / ((t1 - t0) / 1e9), pinned, failed.get(), at, firstFailure[0],
        total - ok - failed.get(), (t1 - t0) / 1e9);
  }

  private static String firstNonJdkFrame(RecordedEvent e) {
    if (e.getStackTrace() == null) {
      return "(no stack)";
    }
    for (RecordedFrame f : e.getStackTrace().getFrames()) {
      String t = f.getMethod().getType().getName();
      if (!t.startsWith("java.") && !t.startsWith("jdk.") && !t.startsWith("sun.")) {
        return t + "." + f.getMethod().getName() + ":" + f.getLineNumber();
      }
    }
    return "(JDK frames only)";
  }
}
