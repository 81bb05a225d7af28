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
 * stack: run with {@code -XX:-UseTLAB} (and G1) so that each allocation takes the slow path that emits JFR's
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
 * Scenarios: {@code http-sdk}, {@code http-token}, {@code redis-get}, {@code redis-incr}, {@code token}.
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
      scenarios = List.of("http-sdk", "http-token", "redis-get", "redis-incr", "token");
    }
    HttpBenchmark http = new HttpBenchmark();
    RedisBenchmark redis = new RedisBenchmark();
    TokenBenchmark token = new TokenBenchmark();
    StringBuilder md = new StringBuilder();
    try {
      for (String s : scenarios) {
        Op op;
        switch (s) {
          case "http-sdk" -> {
            ensure(http);
            op = http::sdk;
          }
          case "http-token" -> {
            ensure(http);
            op = http::sdkWithToken;
          }
          case "redis-get" -> {
            ensure(redis);
            op = redis::getSdk;
          }
          case "redis-incr" -> {
            ensure(redis);
            op = redis::incrSdk;
          }
          case "token" -> {
            token.setUp();
            op = token::sdkCached;
          }
          default -> throw new IllegalArgumentException("unknown scenario " + s);
        }
        md.append(profile(s, op, calls));
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

  private static String profile(String name, Op op, long calls) throws Exception {
    long warm = Long.getLong("bench.warmup", 20_000);
    for (long i = 0; i < warm; i++) {
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
      return report(name, file, calls, me.getName());
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static String report(String name, Path file, long calls, String thread) throws IOException {
    Map<String, Double> sdk = new HashMap<>();
    double library = 0;
    double noSdk = 0;
    double total = 0;
    int samples = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      if (!e.getEventType().getName().equals("jdk.ObjectAllocationOutsideTLAB")
          || e.getThread("eventThread") == null || !thread.equals(e.getThread("eventThread").getJavaName())) {
        continue;
      }
      samples++;
      double weight = e.getLong("allocationSize");
      total += weight;
      RecordedStackTrace st = e.getStackTrace();
      List<RecordedFrame> frames = st == null ? List.of() : st.getFrames();
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
      if (sdkAt < 0) {
        noSdk += weight;
      } else if (handover >= 2) {
        library += weight;
      } else {
        String cls = e.getClass("objectClass").getName();
        String site = where(frames.get(sdkAt));
        if (sdkAt > 1) {
          site += " → " + where(frames.get(sdkAt - 1));
        }
        if (sdkAt > 0) {
          site += " → " + where(frames.get(0));
        }
        sdk.merge("`" + simple(cls) + "` in " + site, weight, Double::sum);
      }
    }
    double sdkTotal = sdk.values().stream().mapToDouble(Double::doubleValue).sum();
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "#### `%s`: %d calls, %d allocations, %.0f B/call in all; "
        + "%.0f B/call at SDK sites, %.0f B/call in the client library below the SDK, %.0f B/call with no SDK "
        + "frame%n%n", name, calls, samples, total / calls, sdkTotal / calls, library / calls, noSdk / calls));
    out.append("| B/call | object | SDK site (→ allocating frame) |\n|---:|---|---|\n");
    List<Map.Entry<String, Double>> sorted = new ArrayList<>(sdk.entrySet());
    sorted.sort((a, b) -> Double.compare(b.getValue(), a.getValue()));
    Map<String, Double> shown = new LinkedHashMap<>();
    for (Map.Entry<String, Double> en : sorted) {
      if (en.getValue() / calls < 4 || shown.size() >= 20) {
        break;
      }
      shown.put(en.getKey(), en.getValue());
    }
    for (Map.Entry<String, Double> en : shown.entrySet()) {
      String k = en.getKey();
      int sep = k.indexOf(" in ");
      out.append(String.format(Locale.ROOT, "| %.0f | %s | %s |%n", en.getValue() / calls, k.substring(0, sep),
          k.substring(sep + 4)));
    }
    out.append('\n');
    return out.toString();
  }

  private static String method(RecordedFrame f) {
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  private static String where(RecordedFrame f) {
    String t = f.getMethod().getType().getName();
    return "`" + t.substring(t.lastIndexOf('.') + 1) + "." + f.getMethod().getName() + ":" + f.getLineNumber() + "`";
  }

  private static String simple(String cls) {
    return cls.startsWith("java.lang.") ? cls.substring(10) : cls;
  }
}
