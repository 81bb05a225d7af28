package dev.privateegress.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the SDK allocates per call: runs one call shape many times in this JVM (warmed up first, so the JIT's
 * escape analysis has removed what it can), and records every allocation of the calling thread with its
 * stack (other threads' allocations too, reported apart): run with {@code -XX:-UseTLAB} (and G1) so that each allocation takes the slow path that emits JFR's
 * {@code jdk.ObjectAllocationOutsideTLAB} event with its exact size. Sizes are summed per site and divided by
 * the number of calls; the total matches JMH's {@code gc.alloc.rate.norm}.
 *
 * <p>An allocation is charged to the SDK when its stack has a {@code dev.privateegress} frame and the
 * allocating frame is no more than one frame inside a hand-over into the client library made by the SDK
 * (OkHttp's {@code RealInterceptorChain.proceed}, Jedis' {@code Connection} command execution, pool borrow
 * and return); the site is that SDK frame, the library method it called and the allocating frame. Allocations below a hand-over are the client library's own work (the raw client does
 * them too) and are reported as one line.
 *
 * <pre>
 * java -XX:-UseTLAB -XX:FlightRecorderOptions:stackdepth=256 -Dbench.http.port=… -cp benchmarks.jar \
 *     dev.privateegress.benchmarks.AllocSites --calls 200000 [--out FILE.md] [SCENARIO…]
 * </pre>
 * Scenarios: {@code http-sdk}, {@code http-token}, {@code http-noop-registry} (an ObservationRegistry without
 * handlers), {@code http-registry-noop} ({@code ObservationRegistry.NOOP}), {@code http-traced} (against OkHttp
 * with Micrometer's {@code OkHttpObservationInterceptor}, {@code http-raw-traced}), {@code redis-get}, {@code redis-incr}, {@code token}; each SDK
 * scenario is compared with the raw client's same call ({@code http-raw}, {@code redis-get-raw},
 * {@code redis-incr-raw}), allocation site by allocation site; with {@code --base floor}, the HTTP scenarios are
 * compared with the floor of OkHttp's interceptor model instead ({@code http-floor}, {@code http-floor-no-token}:
 * see {@link HttpBenchmark}).
 */
public final class AllocSites {
  private static final Set<String> HANDOVER = Set.of(
      "okhttp3.internal.http.RealInterceptorChain.proceed",
      "redis.clients.jedis.Connection.executeCommand",
      "redis.clients.jedis.providers.PooledConnectionProvider.getConnection",
      "redis.clients.jedis.Connection.close");

  private AllocSites() {}

  interface Op {
    Object run() throws Exception;
  }

  public static void main(String[] args) throws Exception {
    long calls = Loopback.longArg(args, "--calls", 200_000);
    String out = Loopback.arg(args, "--out");
    List<String> scenarios = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith("--")) {
        i++;
      } else {
        scenarios.add(args[i]);
      }
    }
    if (scenarios.isEmpty()) {
      scenarios = List.of("http-sdk", "http-token", "http-noop-registry", "redis-get", "redis-incr", "token");
    }
    // --base floor: compare the HTTP scenarios with the floor of OkHttp's interceptor model instead of raw OkHttp
    boolean floor = "floor".equals(Loopback.arg(args, "--base"));
    String plain = floor ? "http-floor-no-token" : "http-raw";
    Map<String, String> rawOf = Map.of("http-sdk", plain, "http-token", floor ? "http-floor" : "http-raw",
        "http-noop-registry", plain, "http-registry-noop", plain, "http-traced", "http-raw-traced",
        "redis-get", "redis-get-raw", "redis-incr", "redis-incr-raw");
    Map<String, Profile> raws = new HashMap<>();
    HttpBenchmark http = new HttpBenchmark();
    RedisBenchmark redis = new RedisBenchmark();
    TokenBenchmark token = new TokenBenchmark();
    StringBuilder md = new StringBuilder();
    try {
      Map<String, Op> ops = new LinkedHashMap<>();
      for (String s : scenarios) {
        ops.put(s, op(s, http, redis, token));
        if (rawOf.containsKey(s)) {
          ops.put(rawOf.get(s), op(rawOf.get(s), http, redis, token));
        }
      }
      // Starting a recording can deoptimise compiled code; start and stop one before the warm-up so that the
      // first scenario recorded runs compiled code like the others.
      try (Recording r = new Recording()) {
        r.enable("jdk.ObjectAllocationOutsideTLAB").withStackTrace();
        r.start();
        for (Op op : ops.values()) {
          op.run();
        }
        r.stop();
      }
      // every shape warmed before any is recorded, so that the JIT has settled for all of them
      long warm = Long.getLong("bench.warmup", 20_000);
      for (Op op : ops.values()) {
        for (long i = 0; i < warm; i++) {
          op.run();
        }
      }
      for (String s : scenarios) {
        Profile prof = profile(s, ops.get(s), calls);
        Profile raw = null;
        String rawName = rawOf.get(s);
        if (rawName != null) {
          raw = raws.get(rawName);
          if (raw == null) {
            raw = profile(rawName, ops.get(rawName), calls);
            raws.put(rawName, raw);
          }
        }
        md.append(prof.report(raw));
      }
    } finally {
      if (http.raw != null) {
        http.stop();
      }
      if (redis.raw != null) {
        redis.tearDown();
      }
    }
    if (out != null) {
      Files.writeString(Path.of(out), md);
    }
    System.out.print(md);
  }

  private static Op op(String name, HttpBenchmark http, RedisBenchmark redis, TokenBenchmark token)
      throws IOException {
    if (name.startsWith("http")) {
      ensure(http);
    } else if (name.startsWith("redis")) {
      ensure(redis);
    } else if (name.equals("token")) {
      token.setUp();
    }
    return switch (name) {
      case "http-sdk" -> http::sdk;
      case "http-token" -> http::sdkWithToken;
      case "http-noop-registry" -> http::sdkNoopRegistry;
      case "http-registry-noop" -> http::sdkRegistryNoop;
      case "http-traced" -> http::sdkTraced;
      case "http-raw-traced" -> http::rawTraced;
      case "http-raw" -> http::raw;
      case "http-floor" -> http::floor;
      case "http-floor-no-token" -> http::floorNoToken;
      case "redis-get" -> redis::getSdk;
      case "redis-incr" -> redis::incrSdk;
      case "redis-get-raw" -> redis::getRaw;
      case "redis-incr-raw" -> redis::incrRaw;
      case "token" -> token::sdkCached;
      default -> throw new IllegalArgumentException("unknown scenario " + name);
    };
  }

  private static void ensure(HttpBenchmark b) throws IOException {
    if (b.raw == null) {
      b.start();
    }
  }

  private static void ensure(RedisBenchmark b) {
    if (b.raw == null) {
      b.setUp();
    }
  }

  private static Profile profile(String name, Op op, long calls) throws Exception {
    for (long i = 0; i < 1000; i++) {
      op.run();
    }
    Path file = Files.createTempFile("alloc-" + name, ".jfr");
    try (Recording r = new Recording()) {
      r.enable("jdk.ObjectAllocationOutsideTLAB").withStackTrace();
      r.start();
      Thread me = Thread.currentThread();
      for (long i = 0; i < calls; i++) {
        op.run();
      }
      r.stop();
      r.dump(file);
      return read(name, file, calls, me.getName());
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** One scenario's allocations per call: at SDK sites, and everything else by allocating frame and caller. */
  private record Profile(String name, long calls, long allocations, double total, double library, double noSdk,
      double otherThreads, Map<String, Double> sdk, Map<String, Double> other) {

    String report(Profile raw) {
      double sdkTotal = sdk.values().stream().mapToDouble(Double::doubleValue).sum();
      StringBuilder out = new StringBuilder();
      out.append(String.format(Locale.ROOT, "#### `%s`: %d calls, %d allocations, %.0f B/call in all%s%n%n", name,
          calls, allocations, total / calls, raw == null ? "" : String.format(Locale.ROOT,
              " (`%s`: %.0f B/call, so the SDK adds %+.0f B/call)", raw.name, raw.total / raw.calls,
              total / calls - raw.total / raw.calls)));
      out.append(String.format(Locale.ROOT, "Calling thread: %.0f B/call at SDK sites, %.0f B/call in the client "
          + "library below the SDK, %.0f B/call with no SDK frame on the stack. Other threads: %.0f B/call%s.%n%n",
          sdkTotal / calls, library / calls, noSdk / calls, otherThreads / calls, raw == null ? ""
              : String.format(Locale.ROOT, " (`%s`: %.0f)", raw.name, raw.otherThreads / raw.calls)));
      Map<String, Double> byLine = new HashMap<>();
      sdk.forEach((k, v) -> {
        String site = k.substring(k.indexOf(" in ") + 4);
        int arrow = site.indexOf(" → ");
        byLine.merge("all objects in " + (arrow < 0 ? site : site.substring(0, arrow)), v, Double::sum);
      });
      out.append("By SDK source line (everything allocated on behalf of that line):\n\n");
      out.append("| B/call | | SDK line |\n|---:|---|---|\n");
      table(out, byLine, null, 15);
      out.append("\nBy object:\n\n");
      out.append("| B/call | object | SDK site → library method it called → allocating frame |\n|---:|---|---|\n");
      table(out, sdk, null, 15);
      if (raw != null) {
        out.append(String.format(Locale.ROOT, "%nThe library's own allocations (calling thread below the SDK, and "
            + "other threads) compared with `" + raw.name + "`: B/call SDK − it by allocating frame and caller, "
            + "largest first, i.e. what the SDK makes the library do beyond a plain call:%n%n"));
        out.append("| B/call more than raw | object | allocating frame ← caller |\n|---:|---|---|\n");
        table(out, other, raw, 10);
      }
      out.append('\n');
      return out.toString();
    }

    private void table(StringBuilder out, Map<String, Double> sites, Profile raw, int max) {
      Map<String, Double> per = new HashMap<>();
      sites.forEach((k, v) -> per.put(k, v / calls));
      if (raw != null) {
        raw.other.forEach((k, v) -> per.merge(k, -v / raw.calls, Double::sum));
      }
      List<Map.Entry<String, Double>> sorted = new ArrayList<>(per.entrySet());
      sorted.sort((a, b) -> Double.compare(b.getValue(), a.getValue()));
      int shown = 0;
      if (sorted.isEmpty() || sorted.get(0).getValue() < 8) {
        out.append("| 0 | (nothing of 8 B/call or more) | |\n");
      }
      for (Map.Entry<String, Double> en : sorted) {
        if (en.getValue() < 8 || shown++ >= max) {
          break;
        }
        String k = en.getKey();
        int sep = k.indexOf(" in ");
        out.append(String.format(Locale.ROOT, "| %.0f | %s | %s |%n", en.getValue(), k.substring(0, sep),
            k.substring(sep + 4)));
      }
    }
  }

  private static Profile read(String name, Path file, long calls, String thread) throws IOException {
    Map<String, Double> sdk = new HashMap<>();
    Map<String, Double> other = new HashMap<>();
    double library = 0;
    double noSdk = 0;
    double total = 0;
    double otherThreads = 0;
    long allocations = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      if (!e.getEventType().getName().equals("jdk.ObjectAllocationOutsideTLAB")) {
        continue;
      }
      double weight = e.getLong("allocationSize");
      RecordedStackTrace st = e.getStackTrace();
      List<RecordedFrame> frames = st == null ? List.of() : st.getFrames();
      String threadName = e.getThread("eventThread") == null ? "?" : e.getThread("eventThread").getJavaName();
      if (!thread.equals(threadName)) {
        // other threads (OkHttp's task runner, the pool's evictor, …): what JMH's -prof gc also counts
        if (threadName == null || threadName.startsWith("JFR") || frames.isEmpty()) {
          continue;
        }
        otherThreads += weight;
        other.merge("`" + simple(e.getClass("objectClass").getName()) + "` in thread `"
            + threadName.replaceAll("[0-9]+", "N") + "`: " + where(frames.get(0))
            + (frames.size() > 1 ? " ← " + where(frames.get(1)) : ""), weight, Double::sum);
        continue;
      }
      allocations++;
      total += weight;
      int sdkAt = -1;
      int handover = -1;
      for (int i = 0; i < frames.size(); i++) {
        String m = method(frames.get(i));
        if (m.startsWith("dev.privateegress.") && !m.startsWith("dev.privateegress.benchmarks.")) {
          sdkAt = i;
          break;
        }
        if (HANDOVER.contains(m)) {
          handover = i; // the last one before the SDK frame: the call the SDK made into the library
        }
      }
      String cls = simple(e.getClass("objectClass").getName());
      if (sdkAt < 0 || handover >= 2) {
        if (sdkAt < 0) {
          noSdk += weight;
        } else {
          library += weight;
        }
        String at = frames.isEmpty() ? "(no stack)" : where(frames.get(0))
            + (frames.size() > 1 ? " ← " + where(frames.get(1)) : "");
        other.merge("`" + cls + "` in " + at, weight, Double::sum);
      } else {
        String site = where(frames.get(sdkAt));
        if (sdkAt > 1) {
          site += " → " + where(frames.get(sdkAt - 1));
        }
        if (sdkAt > 0) {
          site += " → " + where(frames.get(0));
        }
        sdk.merge("`" + cls + "` in " + site, weight, Double::sum);
      }
    }
    return new Profile(name, calls, allocations, total, library, noSdk, otherThreads, sdk, other);
  }

  private static String method(RecordedFrame f) {
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  private static String where(RecordedFrame f) {
    String t = f.getMethod().getType().getName();
    return "`" + t.substring(t.lastIndexOf('.') + 1) + "." + f.getMethod().getName() + ":" + f.getLineNumber() + "`";
  }

  private static String simple(String cls) {
    int lambda = cls.indexOf("$$Lambda");
    if (lambda > 0) {
      cls = cls.substring(0, lambda + 8); // the generated suffix differs from run to run
    }
    return cls.startsWith("java.lang.") ? cls.substring(10) : cls;
  }
}
