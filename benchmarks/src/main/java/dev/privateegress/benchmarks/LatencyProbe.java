package dev.privateegress.benchmarks;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Latency under concurrency: 1, 16 and 64 platform threads calling one shared client for a fixed time, every
 * call timed with {@code System.nanoTime()}, then p50/p99/p99.9 over all calls. SDK and raw clients take
 * turns (raw, SDK, raw, SDK: two rounds each) so that a change in the machine's load hits both alike. One JVM
 * for all rows: JMH's {@code SampleTime} would need a fork per row and thread count, which the quick run cannot
 * afford. Results are bounded: at most {@code 2^21} samples per thread per round.
 *
 * <pre>
 * java -Dbench.http.port=… -Dbench.redis.port=… -cp benchmarks.jar dev.privateegress.benchmarks.LatencyProbe \
 *     --millis 2000 --threads 1,16,64
 * </pre>
 */
public final class LatencyProbe {
  private static final int MAX_SAMPLES = 1 << 21;

  private LatencyProbe() {}

  public static void main(String[] args) throws Exception {
    double seconds = Loopback.longArg(args, "--millis", 2000) / 1000.0;
    String threadList = Loopback.arg(args, "--threads");
    int[] threads = Arrays.stream((threadList == null ? "1,16,64" : threadList).split(","))
        .mapToInt(Integer::parseInt).toArray();
    HttpBenchmark http = new HttpBenchmark();
    http.start();
    RedisBenchmark redis = new RedisBenchmark();
    redis.setUp();
    AllocSites.Op[][] pairs = {
        {http::sdk, http::raw},
        {http::sdkWithToken, http::raw},
        {redis::getSdk, redis::getRaw},
    };
    String[] names = {"HTTP GET, no token", "HTTP GET with ID token", "Redis GET"};
    StringBuilder out = new StringBuilder();
    out.append("| call | threads | SDK p50 | raw p50 | SDK p99 | raw p99 | p99 added (target ≤ 50 µs) | SDK p99.9 "
        + "| raw p99.9 | calls/s SDK, raw |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    try {
      // warm-up: both clients, every shape, on a few threads
      for (AllocSites.Op[] p : pairs) {
        run(p[0], 4, 1.0);
        run(p[1], 4, 1.0);
      }
      for (int t : threads) {
        for (int i = 0; i < pairs.length; i++) {
          long[][] raw = new long[2][];
          long[][] sdk = new long[2][];
          double[] rate = new double[2];
          for (int round = 0; round < 2; round++) {
            Run r = run(pairs[i][1], t, seconds / 2);
            raw[round] = r.nanos;
            rate[1] += r.count / seconds;
            Run s = run(pairs[i][0], t, seconds / 2);
            sdk[round] = s.nanos;
            rate[0] += s.count / seconds;
          }
          long[] w = concat(raw);
          long[] s = concat(sdk);
          double added = (pct(s, 99) - pct(w, 99)) / 1000.0;
          String row = String.format(Locale.ROOT,
              "| %s | %d | %s | %s | %s | %s | **%s µs** %s | %s | %s | %.0f, %.0f |%n", names[i], t,
              us(pct(s, 50)), us(pct(w, 50)), us(pct(s, 99)), us(pct(w, 99)), JmhTables.fmt(added),
              Double.isNaN(added) ? "n/a" : added <= 50 ? "met" : "missed", us(pct(s, 99.9)), us(pct(w, 99.9)), rate[0], rate[1]);
          out.append(row);
          System.err.print(row);
        }
      }
    } finally {
      http.stop();
      redis.tearDown();
    }
    System.out.print(out);
  }

  private static String us(double nanos) {
    return JmhTables.fmt(nanos / 1000.0) + " µs";
  }

  private record Run(long[] nanos, long count) {}

  private static Run run(AllocSites.Op op, int threads, double seconds) throws Exception {
    long end = System.nanoTime() + (long) (seconds * 1e9);
    long[][] per = new long[threads][];
    int[] counts = new int[threads];
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch go = new CountDownLatch(1);
    Thread[] ts = new Thread[threads];
    for (int i = 0; i < threads; i++) {
      int me = i;
      ts[i] = new Thread(() -> {
        long[] mine = new long[1 << 12];
        int n = 0;
        try {
          go.await();
          while (n < MAX_SAMPLES) {
            long t0 = System.nanoTime();
            if (t0 >= end && n > 0) {
              break; // every thread makes at least one call, however late the scheduler started it
            }
            op.run();
            if (n == mine.length) {
              mine = Arrays.copyOf(mine, n * 2);
            }
            mine[n++] = System.nanoTime() - t0;
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
        per[me] = Arrays.copyOf(mine, n);
        counts[me] = n;
      }, "latency-" + i);
      ts[i].start();
    }
    go.countDown();
    for (Thread t : ts) {
      t.join();
    }
    if (failure.get() != null) {
      throw new IllegalStateException("a call failed during the latency run", failure.get());
    }
    long total = 0;
    for (int c : counts) {
      total += c;
    }
    return new Run(concat(per), total);
  }

  private static long[] concat(long[][] parts) {
    int n = 0;
    for (long[] p : parts) {
      n += p.length;
    }
    long[] all = new long[n];
    int at = 0;
    for (long[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    Arrays.sort(all);
    return all;
  }

  private static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
