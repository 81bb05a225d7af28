package dev.privateegress.benchmarks;

import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryPolicy;
import dev.privateegress.redis.PrivateRedis;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Supplier;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * A fleet in one JVM: N instances, each its own {@code PrivateEgress} and client (or a raw Jedis
 * {@code RedisClient} with its default pool of 8), against one redis-server. Drills:
 *
 * <ul>
 *   <li>{@code scale-out}: every instance, just built, gets 8 concurrent INCRs at once;
 *   <li>{@code kill -9}: every instance runs 2 loops of INCR every 20 ms; the server is killed with SIGKILL
 *       and started again 1 s later on the same port; the SDK runs inside its startup grace window (Cloud Run,
 *       Direct VPC), as a fleet deployed during maintenance would;
 *   <li>{@code idle, burst}: the server closes connections idle 1 s ({@code timeout 1}); after 2.5 s idle,
 *       every instance gets 8 concurrent INCRs.
 * </ul>
 * Counted on the server ({@code INFO stats total_connections_received}, sampled every 100 ms: the sampler's
 * own connection is subtracted) and by the clients (acknowledged, failed, ambiguous). "Applied twice" is the
 * server's count above acknowledged + ambiguous; "lost" an acknowledged INCR the server does not show.
 * Keys written after the restart only are compared (SIGKILL drops the data). Everything is bounded in time.
 */
public final class FleetDrill {
  private FleetDrill() {}

  public static void main(String[] args) throws Exception {
    List<Integer> sizes = Arrays.stream((Arrays.asList(args).contains("--instances") ? Loopback.arg(args, "--instances") : "50,200,400").split(","))
        .map(String::trim).map(Integer::parseInt).toList();
    StringBuilder out = new StringBuilder();
    out.append("| drill | instances | client | connections opened per instance | peak new connections per 100 ms "
        + "| time to 95 % recovered | commands acknowledged | failed | ambiguous | lost | applied twice |\n");
    out.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    System.out.print(out);
    long limit = System.nanoTime() + TimeUnit.MINUTES.toNanos(8); // bounded: the machine is shared
    for (int n : sizes) {
      if (System.nanoTime() > limit) {
        System.out.printf("| (%d instances skipped: the 8-minute bound was reached) |||||||||||%n", n);
        continue;
      }
      for (String client : List.of("sdk", "raw")) {
        System.out.print(scaleOut(n, client));
        System.out.print(kill(n, client));
        System.out.print(idleBurst(n, client));
        System.out.flush();
        System.gc();
      }
      System.out.print(kill(n, "sdk-after-grace"));
      System.out.flush();
    }
  }

  private static String scaleOut(int n, String client) throws Exception {
    try (RedisNode node = RedisLauncher.builder().config("maxclients", "10000").start()) {
      List<UnifiedJedis> fleet = fleet(n, client, node.port());
      try (Sampler s = new Sampler(node)) {
        Result r = burst(fleet, "scale", 8);
        s.stop();
        return row("scale-out", n, client, s, "—", r, applied(node, "scale", n), r);
      } finally {
        fleet.forEach(UnifiedJedis::close);
      }
    }
  }

  private static String idleBurst(int n, String client) throws Exception {
    try (RedisNode node = RedisLauncher.builder().config("maxclients", "10000").start()) {
      List<UnifiedJedis> fleet = fleet(n, client, node.port());
      try {
        burst(fleet, "warm", 8);
        node.command("CONFIG", "SET", "timeout", "1");
        Thread.sleep(2_500); // the server closes every idle connection
        try (Sampler s = new Sampler(node)) {
          Result r = burst(fleet, "burst", 8);
          s.stop();
          return row("idle 2.5 s (server timeout 1 s), burst", n, client, s, "—", r, applied(node, "burst", n), r);
        }
      } finally {
        fleet.forEach(UnifiedJedis::close);
      }
    }
  }

  private static String kill(int n, String client) throws Exception {
    try (RedisNode node = RedisLauncher.builder().config("maxclients", "10000").start()) {
      List<UnifiedJedis> fleet = fleet(n, client, node.port());
      ExecutorService threads = threads();
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicLong epoch = new AtomicLong();
      AtomicLongArray recovered = new AtomicLongArray(n);
      Result r = new Result();
      Result after = new Result();
      try {
        burst(fleet, "warm", 2);
        CountDownLatch done = new CountDownLatch(n * 2);
        for (int i = 0; i < n; i++) {
          int id = i;
          for (int loop = 0; loop < 2; loop++) {
            threads.execute(() -> {
              try {
                while (running.get()) {
                  long e = epoch.get();
                  boolean ok = (e == 1 ? after : r).run(() -> fleet.get(id).incr("kill:" + e + ":" + id));
                  if (e == 1 && ok) {
                    recovered.compareAndSet(id, 0, System.nanoTime());
                  }
                  sleep(20);
                }
              } finally {
                done.countDown();
              }
            });
          }
        }
        Thread.sleep(1_000);
        r.reset(); // count the outage and recovery only
        Sampler s;
        node.kill();
        Thread.sleep(1_000);
        s = new Sampler(null);
        node.start();
        long restarted = System.nanoTime();
        s.attach(node);
        epoch.set(1);
        long limit = restarted + TimeUnit.SECONDS.toNanos(15);
        while (countSet(recovered) < n && System.nanoTime() < limit) {
          Thread.sleep(50);
        }
        Thread.sleep(1_000);
        running.set(false);
        done.await(20, TimeUnit.SECONDS);
        s.stop();
        s.close();
        long[] times = new long[n];
        for (int i = 0; i < n; i++) {
          times[i] = recovered.get(i) == 0 ? Long.MAX_VALUE : recovered.get(i) - restarted;
        }
        Arrays.sort(times);
        long p95 = times[(int) Math.ceil(n * 0.95) - 1];
        String t95 = p95 == Long.MAX_VALUE ? "not within 15 s" : TimeUnit.NANOSECONDS.toMillis(p95) + " ms";
        long applied = 0;
        for (int i = 0; i < n; i++) {
          Object v = node.command("GET", "kill:1:" + i);
          applied += v == null ? 0 : Long.parseLong(v.toString());
        }
        String label = "kill -9, restart after 1 s" + ("sdk".equals(client) ? " (in startup grace)"
            : client.endsWith("after-grace") ? " (grace over)" : "");
        r.add(after);
        return row(label, n, client, s, t95, r, applied, after);
      } finally {
        running.set(false);
        threads.shutdownNow();
        fleet.forEach(UnifiedJedis::close);
      }
    }
  }

  private static int countSet(AtomicLongArray a) {
    int c = 0;
    for (int i = 0; i < a.length(); i++) {
      c += a.get(i) != 0 ? 1 : 0;
    }
    return c;
  }

  /** Each instance gets {@code perInstance} concurrent INCRs on its own key, all released at once. */
  private static Result burst(List<UnifiedJedis> fleet, String key, int perInstance) throws Exception {
    ExecutorService threads = threads();
    Result r = new Result();
    CountDownLatch start = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(fleet.size() * perInstance);
    for (int i = 0; i < fleet.size(); i++) {
      UnifiedJedis c = fleet.get(i);
      String k = key + ":" + i;
      for (int j = 0; j < perInstance; j++) {
        threads.execute(() -> {
          try {
            start.await();
            r.run(() -> c.incr(k));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            done.countDown();
          }
        });
      }
    }
    start.countDown();
    done.await(60, TimeUnit.SECONDS);
    threads.shutdownNow();
    return r;
  }

  private static long applied(RedisNode node, String key, int n) {
    long sum = 0;
    for (int i = 0; i < n; i++) {
      Object v = node.command("GET", key + ":" + i);
      sum += v == null ? 0 : Long.parseLong(v.toString());
    }
    return sum;
  }

  private static List<UnifiedJedis> fleet(int n, String client, int port) {
    List<UnifiedJedis> fleet = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (client.startsWith("raw")) {
        fleet.add(RedisClient.create("127.0.0.1", port));
      } else {
        Map<String, String> env = new HashMap<>();
        env.put("REDIS_URL", "redis://127.0.0.1:" + port);
        // Cloud Run with Direct VPC, just started: the startup grace window is open during every drill.
        env.putAll(Map.of("K_SERVICE", "fleet", "K_REVISION", "fleet-1", "K_CONFIGURATION", "fleet",
            "PRIVATE_EGRESS_MODE", "direct-vpc", "PRIVATE_EGRESS_LOOKUP", "off", "NO_GCE_CHECK", "true"));
        if (client.endsWith("after-grace")) {
          env.put("PRIVATE_EGRESS_STARTUP_GRACE", "PT0S"); // the same instance, its grace window over
        }
        PrivateEgress egress = PrivateEgress.builder().environment(env).retryPolicy(RetryPolicy.defaults()).build();
        fleet.add(PrivateRedis.connect(egress));
      }
    }
    return fleet;
  }

  /** {@code checked}: the commands whose keys {@code applied} sums (all of {@code r}, or those after a restart). */
  private static String row(String drill, int n, String client, Sampler s, String recovery, Result r, long applied,
      Result checked) {
    long acked = r.ok.get();
    long lost = Math.max(0, checked.ok.get() - applied);
    long twice = Math.max(0, applied - checked.ok.get() - checked.ambiguous.get());
    return String.format(Locale.ROOT, "| %s | %d | %s | %.2f | %d | %s | %d | %d | %d | %d | %d |%n", drill, n,
        "raw".equals(client) ? "raw Jedis (RedisClient, pool 8)" : "SDK", s.opened() / (double) n, s.peak(), recovery,
        acked, r.failed.get(), r.ambiguous.get(), lost, twice);
  }

  private static ExecutorService threads() {
    try {
      Method m = Executors.class.getMethod("newVirtualThreadPerTaskExecutor");
      return (ExecutorService) m.invoke(null);
    } catch (ReflectiveOperationException e) {
      return Executors.newCachedThreadPool();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Client-side counts. */
  private static final class Result {
    final AtomicLong ok = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong ambiguous = new AtomicLong();

    boolean run(Supplier<Long> command) {
      try {
        command.get();
        ok.incrementAndGet();
        return true;
      } catch (dev.privateegress.redis.AmbiguousCommandException e) {
        ambiguous.incrementAndGet();
      } catch (redis.clients.jedis.exceptions.JedisConnectionException e) {
        // raw Jedis: a connection that broke after the command was written leaves it just as ambiguous
        String m = String.valueOf(e.getMessage()) + e.getCause();
        (m.contains("end of stream") || m.contains("reset") || m.contains("timed out") ? ambiguous : failed)
            .incrementAndGet();
      } catch (RuntimeException e) {
        failed.incrementAndGet();
      }
      return false;
    }

    void add(Result other) {
      ok.addAndGet(other.ok.get());
      failed.addAndGet(other.failed.get());
      ambiguous.addAndGet(other.ambiguous.get());
    }

    void reset() {
      ok.set(0);
      failed.set(0);
      ambiguous.set(0);
    }
  }

  /** Samples the server's total_connections_received every 100 ms. */
  private static final class Sampler implements AutoCloseable {
    private volatile RedisNode node;
    private final Thread thread;
    private volatile boolean stop;
    private long first = -1;
    private long lastSeen = -1;
    private long samples;
    private long peak;

    Sampler(RedisNode node) {
      this.node = node;
      this.thread = new Thread(this::loop, "fleet-sampler");
      thread.setDaemon(true);
      if (node != null) {
        first = received();
        lastSeen = first;
      }
      thread.start();
    }

    void attach(RedisNode n) {
      this.node = n;
    }

    private synchronized void loop() {
      while (!stop) {
        try {
          wait(100);
        } catch (InterruptedException e) {
          return;
        }
        if (node == null) {
          continue;
        }
        long now;
        try {
          now = received();
        } catch (RuntimeException e) {
          continue; // the server is down
        }
        if (first < 0 || now < lastSeen) {
          first = 0; // a restarted server counts from 0
          lastSeen = 0;
        }
        samples++;
        peak = Math.max(peak, now - lastSeen - 1);
        lastSeen = now;
      }
    }

    private long received() {
      String stats = String.valueOf(node.command("INFO", "stats"));
      return stats.lines().filter(l -> l.startsWith("total_connections_received:")).findFirst()
          .map(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).trim())).orElse(0L);
    }

    void stop() throws InterruptedException {
      long now = received();
      synchronized (this) {
        stop = true;
        notifyAll();
        peak = Math.max(peak, now - lastSeen - 1);
        samples++;
        lastSeen = now;
      }
      thread.join(1_000);
    }

    /** New connections from the clients (the sampler's own, one per sample and one at the start, not counted). */
    synchronized long opened() {
      return Math.max(0, lastSeen - first - samples);
    }

    synchronized long peak() {
      return Math.max(0, peak);
    }

    @Override
    public void close() {
      stop = true;
      thread.interrupt();
    }
  }
}
