package dev.privateegress.benchmarks;

import dev.privateegress.redis.PrivateRedis;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToLongFunction;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * INCR and GET through the SDK beside raw Jedis (default {@link RedisClient}) against one redis-server, at 1, 4
 * and 16 threads, with a second raw client as a control, so that the run shows its own noise next to the figure.
 *
 * <p>Per cell, the same worker threads run slices of a fixed length, cycling raw, SDK, control, raw, SDK,
 * control, ... within one JVM. The SDK's ops/s in a slice is divided by the raw ops/s interpolated at that slice
 * from the raw slices before and after it (a linear drift of the machine's speed cancels out); so is the
 * control's. Printed per cell: the median of those ratios with a 95 % bootstrap interval, the control's median
 * and interval (raw against raw: what the machine's noise alone makes of identical clients), and the CPU time of
 * the calling threads per command, SDK minus raw (median of the slices). A client waits two slices between its
 * own, so slices of up to 120 ms keep its connections under the SDK's 250 ms idle check (a busy service's
 * connections are never idle that long; the check's cost on idle connections is another measurement).
 * Bytes per command are the calling thread's, on one thread. {@code -Dbench.redis.port} names a server; without
 * it the probe starts one.
 *
 * <pre>java [-Dbench.redis.commands=GET,INCR] -cp benchmarks.jar dev.privateegress.benchmarks.RedisRatioProbe [slicesPerClient] [millisPerSlice]</pre>
 */
public final class RedisRatioProbe {
  private RedisRatioProbe() {}

  private static final int RAW = 0;
  private static final int SDK = 1;
  private static final int CONTROL = 2;

  public static void main(String[] args) throws Exception {
    int slices = args.length > 0 ? Integer.parseInt(args[0]) : 150;
    long millis = args.length > 1 ? Long.parseLong(args[1]) : 100;
    if (slices < 8 || millis < 10 || millis > 120) {
      throw new IllegalArgumentException("RedisRatioProbe [slicesPerClient >= 8] [millisPerSlice 10..120], not "
          + slices + " " + millis);
    }
    RedisNode server = Loopback.REDIS_PORT == 0 ? RedisLauncher.startPlain() : null;
    String host = server != null ? server.host() : "127.0.0.1";
    int port = server != null ? server.port() : Loopback.REDIS_PORT;
    try (RedisClient raw = RedisClient.builder().hostAndPort(host, port).build();
        RedisClient control = RedisClient.builder().hostAndPort(host, port).build();
        UnifiedJedis sdk = PrivateRedis.connect(Loopback.egress(null, false, "redis://" + host + ":" + port))) {
      raw.set("bench:key", "value-0123456789");
      UnifiedJedis[] clients = {raw, sdk, control};
      Map<String, ToLongFunction<UnifiedJedis>> ops = new LinkedHashMap<>();
      for (String command : System.getProperty("bench.redis.commands", "INCR,GET").split(",")) {
        ops.put(command, switch (command) {
          case "INCR" -> c -> c.incr("bench:ratio");
          case "GET" -> c -> c.get("bench:key").length();
          default -> throw new IllegalArgumentException("bench.redis.commands: INCR and/or GET, not " + command);
        });
      }
      for (Map.Entry<String, ToLongFunction<UnifiedJedis>> e : ops.entrySet()) {
        for (int threads : new int[] {1, 4, 16}) {
          System.out.println(cell(e.getKey(), e.getValue(), clients, threads, slices, millis)); // the probe's output
        }
        long bytesRaw = bytesPerOp(raw, e.getValue());
        long bytesSdk = bytesPerOp(sdk, e.getValue());
        System.out.printf(Locale.ROOT, "bytes %s raw=%d sdk=%d added=%d%n", e.getKey(), bytesRaw, bytesSdk,
            bytesSdk - bytesRaw);
      }
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  /** One command at one thread count: warm-up, then {@code slices} slices per client, cycling. */
  private static String cell(String command, ToLongFunction<UnifiedJedis> op, UnifiedJedis[] clients, int threads,
      int slices, long millis) throws Exception {
    try (Workers workers = new Workers(op, threads)) {
      for (int w = 0; w < 10; w++) { // every client's code compiled and its pool grown before a slice counts
        for (UnifiedJedis c : clients) {
          workers.slice(c, millis);
        }
      }
      double[][] rate = new double[3][slices];
      double[][] cpu = new double[3][slices];
      for (int s = 0; s < slices; s++) {
        for (int i = 0; i < 3; i++) {
          Slice r = workers.slice(clients[i], millis);
          rate[i][s] = r.ops / r.seconds;
          cpu[i][s] = r.cpuNanos / (double) r.ops;
        }
      }
      // Slice s of client i ran at position 3s + i; raw ran at 3s and 3s + 3. The last cycle has no raw slice
      // after it and is left out.
      int n = slices - 1;
      double[] sdk = new double[n];
      double[] ctl = new double[n];
      double[] cpuAdded = new double[n];
      for (int s = 0; s < n; s++) {
        sdk[s] = rate[SDK][s] / interpolate(rate[RAW][s], rate[RAW][s + 1], SDK);
        ctl[s] = rate[CONTROL][s] / interpolate(rate[RAW][s], rate[RAW][s + 1], CONTROL);
        cpuAdded[s] = cpu[SDK][s] - interpolate(cpu[RAW][s], cpu[RAW][s + 1], SDK);
      }
      double[] sdkCi = medianInterval(sdk);
      double[] ctlCi = medianInterval(ctl);
      double rawOps = median(rate[RAW]);
      return String.format(Locale.ROOT,
          "ratio %s threads=%d sdk/raw=%.3f [%.3f, %.3f] control/raw=%.3f [%.3f, %.3f] slices=%d x %d ms"
              + " raw=%.0f ops/s cpuNanosAddedPerOp=%.0f",
          command, threads, median(sdk), sdkCi[0], sdkCi[1], median(ctl), ctlCi[0], ctlCi[1], n, millis, rawOps,
          median(cpuAdded));
    }
  }

  /** The raw value at position {@code at} (1 or 2) between raw slices at positions 0 and 3. */
  private static double interpolate(double before, double after, int at) {
    return before + (after - before) * at / 3.0;
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  /** A 95 % percentile-bootstrap interval of the median (2,000 resamples, fixed seed: a run is reproducible). */
  private static double[] medianInterval(double[] values) {
    SplittableRandom random = new SplittableRandom(20261207);
    double[] medians = new double[2000];
    double[] sample = new double[values.length];
    for (int b = 0; b < medians.length; b++) {
      for (int i = 0; i < sample.length; i++) {
        sample[i] = values[random.nextInt(values.length)];
      }
      medians[b] = median(sample);
    }
    Arrays.sort(medians);
    return new double[] {medians[49], medians[1950]};
  }

  private record Slice(long ops, double seconds, long cpuNanos) {}

  /** Threads that stay up through a cell and run one slice at a time on the client they are handed. */
  private static final class Workers implements AutoCloseable {
    private final CyclicBarrier start;
    private final CyclicBarrier end;
    private final List<Thread> threads = new ArrayList<>();
    private final LongAdder ops = new LongAdder();
    private final LongAdder cpu = new LongAdder();
    private final AtomicLong lastFinish = new AtomicLong();
    private volatile UnifiedJedis client;
    private volatile long until;
    private volatile boolean closed;

    Workers(ToLongFunction<UnifiedJedis> op, int count) {
      start = new CyclicBarrier(count + 1);
      end = new CyclicBarrier(count + 1);
      ThreadMXBean mx = ManagementFactory.getThreadMXBean();
      for (int i = 0; i < count; i++) {
        Thread t = new Thread(() -> {
          try {
            while (true) {
              start.await();
              if (closed) {
                return;
              }
              UnifiedJedis c = client;
              long stop = until;
              long n = 0;
              long cpu0 = mx.getCurrentThreadCpuTime();
              while (System.nanoTime() < stop) {
                op.applyAsLong(c);
                n++;
              }
              long finished = System.nanoTime();
              cpu.add(mx.getCurrentThreadCpuTime() - cpu0);
              ops.add(n);
              lastFinish.accumulateAndGet(finished, Math::max);
              end.await();
            }
          } catch (InterruptedException | BrokenBarrierException e) {
            // closed
          }
        }, "ratio-worker-" + i);
        t.setDaemon(true);
        t.start();
        threads.add(t);
      }
    }

    Slice slice(UnifiedJedis c, long millis) throws Exception {
      ops.reset();
      cpu.reset();
      client = c;
      long began = System.nanoTime();
      lastFinish.set(began);
      until = began + millis * 1_000_000L;
      start.await();
      end.await();
      return new Slice(ops.sum(), (lastFinish.get() - began) / 1e9, cpu.sum());
    }

    @Override
    public void close() throws Exception {
      closed = true;
      start.await();
      for (Thread t : threads) {
        t.join();
      }
    }
  }

  /** Bytes the calling thread allocates per {@code op}, after a warm-up. */
  private static long bytesPerOp(UnifiedJedis client, ToLongFunction<UnifiedJedis> op) {
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    for (int i = 0; i < 50_000; i++) {
      op.applyAsLong(client);
    }
    int n = 50_000;
    long before = mx.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < n; i++) {
      op.applyAsLong(client);
    }
    return (mx.getCurrentThreadAllocatedBytes() - before) / n;
  }
}
