package dev.privateegress.benchmarks;

import dev.privateegress.redis.PrivateRedis;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToLongFunction;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * INCR and GET through the SDK beside raw Jedis (default {@link RedisClient}) against one redis-server, at 1, 4
 * and 16 threads, in alternating rounds (SDK, raw, SDK, raw, ...) within one JVM so that load from elsewhere on
 * the machine hits both alike. Prints, per command and thread count, the median of the per-pair ratios
 * (SDK ops/s over the raw ops/s of the round beside it), and the bytes each client allocates per command on one
 * thread. {@code -Dbench.redis.port} names a server; without it the probe starts one.
 *
 * <p>Beside the throughput ratio, the CPU time of the calling threads per command (SDK minus raw, median of the
 * rounds; the server is another process) gives the SDK's extra work in nanoseconds, which a machine shared with
 * other jobs disturbs less than it disturbs throughput.
 *
 * <pre>java [-Dbench.redis.commands=GET,INCR] -cp benchmarks.jar dev.privateegress.benchmarks.RedisRatioProbe [rounds] [millisPerRound]</pre>
 */
public final class RedisRatioProbe {
  private RedisRatioProbe() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 9;
    long millis = args.length > 1 ? Long.parseLong(args[1]) : 700;
    RedisNode server = Loopback.REDIS_PORT == 0 ? RedisLauncher.startPlain() : null;
    String host = server != null ? server.host() : "127.0.0.1";
    int port = server != null ? server.port() : Loopback.REDIS_PORT;
    try (RedisClient raw = RedisClient.builder().hostAndPort(host, port).build();
        UnifiedJedis sdk = PrivateRedis.connect(Loopback.egress(null, false, "redis://" + host + ":" + port))) {
      raw.set("bench:key", "value-0123456789");
      List<Row> rows = new ArrayList<>();
      // -Dbench.redis.commands=GET,INCR measures GET first (the order of the cells is part of what load can skew)
      Map<String, ToLongFunction<UnifiedJedis>> ops = new LinkedHashMap<>();
      for (String command : System.getProperty("bench.redis.commands", "INCR,GET").split(",")) {
        ops.put(command, switch (command) {
          case "INCR" -> c -> c.incr("bench:ratio");
          case "GET" -> c -> c.get("bench:key").length();
          default -> throw new IllegalArgumentException("bench.redis.commands: INCR and/or GET, not " + command);
        });
      }
      // Warm-up: every client, command and a pool of 1 and of 16 borrowers before any round is measured, so that
      // the first cell does not measure one client's code while it is still being compiled.
      for (ToLongFunction<UnifiedJedis> op : ops.values()) {
        for (UnifiedJedis client : List.of(raw, sdk)) {
          run(client, op, 1, 3 * millis);
          run(client, op, 16, millis);
        }
      }
      for (String command : ops.keySet()) {
        ToLongFunction<UnifiedJedis> op = ops.get(command);
        for (int threads : new int[] {1, 4, 16}) {
          double[] ratios = new double[rounds];
          double[] cpuAdded = new double[rounds];
          for (int r = 0; r < rounds; r++) {
            // alternate which client goes first, so a drift in load does not favour one
            Round s;
            Round w;
            if (r % 2 == 0) {
              s = run(sdk, op, threads, millis);
              w = run(raw, op, threads, millis);
            } else {
              w = run(raw, op, threads, millis);
              s = run(sdk, op, threads, millis);
            }
            ratios[r] = s.opsPerSecond / w.opsPerSecond;
            cpuAdded[r] = s.cpuNanosPerOp - w.cpuNanosPerOp;
          }
          Arrays.sort(ratios);
          Arrays.sort(cpuAdded);
          rows.add(new Row(command, threads, ratios[rounds / 2], ratios[0], ratios[rounds - 1],
              cpuAdded[rounds / 2]));
        }
        long bytesRaw = bytesPerOp(raw, op);
        long bytesSdk = bytesPerOp(sdk, op);
        System.out.printf(Locale.ROOT, "bytes %s raw=%d sdk=%d added=%d%n", command, bytesRaw, bytesSdk,
            bytesSdk - bytesRaw);
      }
      for (Row row : rows) {
        System.out.printf(Locale.ROOT,
            "ratio %s threads=%d median=%.3f min=%.3f max=%.3f rounds=%d cpuNanosAddedPerOp=%.0f%n",
            row.command, row.threads, row.median, row.min, row.max, rounds, row.cpuAdded);
      }
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  private record Row(String command, int threads, double median, double min, double max, double cpuAdded) {}

  private record Round(double opsPerSecond, double cpuNanosPerOp) {}

  /** Operations per second of {@code threads} threads running {@code op} for {@code millis}, and their CPU per op. */
  private static Round run(UnifiedJedis client, ToLongFunction<UnifiedJedis> op, int threads, long millis)
      throws InterruptedException {
    LongAdder ops = new LongAdder();
    LongAdder cpu = new LongAdder();
    java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    long end = System.nanoTime() + millis * 1_000_000L + 50_000_000L;
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        long n = 0;
        long cpu0 = mx.getCurrentThreadCpuTime();
        while (System.nanoTime() < end) {
          op.applyAsLong(client);
          n++;
        }
        cpu.add(mx.getCurrentThreadCpuTime() - cpu0);
        ops.add(n);
      });
      t.start();
      workers.add(t);
    }
    long began = System.nanoTime();
    start.countDown();
    for (Thread t : workers) {
      t.join();
    }
    double seconds = (System.nanoTime() - began) / 1e9;
    long n = ops.sum();
    return new Round(n / seconds, cpu.sum() / (double) n);
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
