package dev.privateegress.benchmarks;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Turns JMH's JSON results ({@code -rf json}) into the Markdown tables of BENCHMARKS.md, SDK and raw client
 * side by side from the same run.
 *
 * <pre>
 * JmhTables alloc RESULT.json   # allocation per op (gc.alloc.rate.norm)
 * JmhTables time RESULT.json    # time per op
 * </pre>
 */
public final class JmhTables {
  private JmhTables() {}

  /** One benchmark's figures. */
  record Result(double score, double error, String unit, double allocNorm) {}

  /** SDK benchmark, raw benchmark, label, allocation target over raw in bytes (-1: absolute 0 target). */
  private static final String[][] PAIRS = {
      {"HttpBenchmark.sdk", "HttpBenchmark.raw", "HTTP GET, no token", "256"},
      {"HttpBenchmark.sdkWithToken", "HttpBenchmark.raw", "HTTP GET with ID token", "512"},
      {"RedisBenchmark.getSdk", "RedisBenchmark.getRaw", "Redis GET", "64"},
      {"RedisBenchmark.incrSdk", "RedisBenchmark.incrRaw", "Redis INCR", "64"},
      {"TokenBenchmark.sdkCached", "TokenBenchmark.rawCached", "cached ID-token lookup", "abs0"},
      // tracing: a registry without handlers against none; then spans made by the SDK (one per attempt) against
      // OkHttp with Micrometer's OkHttpObservationInterceptor (one per call), on the same tracer
      {"HttpBenchmark.sdkNoopRegistry", "HttpBenchmark.sdk", "HTTP GET, no-op ObservationRegistry (vs no registry)",
          "16"},
      {"HttpBenchmark.sdkTraced", "HttpBenchmark.rawTraced",
          "HTTP GET traced (vs OkHttp + OkHttpObservationInterceptor)", "-"},
  };

  public static void main(String[] args) throws IOException {
    if (args.length != 2 || !args[0].equals("alloc") && !args[0].equals("time")) {
      System.err.println("usage: JmhTables alloc|time FILE.json");
      System.exit(2);
    }
    Map<String, Result> r = read(Path.of(args[1]));
    System.out.print(args[0].equals("alloc") ? allocation(r) : time(r));
  }

  private static String allocation(Map<String, Result> r) {
    StringBuilder out = new StringBuilder();
    out.append("| call | SDK B/op | raw B/op | SDK/raw | SDK adds | target | |\n");
    out.append("|---|---:|---:|---:|---:|---|---|\n");
    for (String[] p : PAIRS) {
      Result s = r.get(p[0]);
      Result w = r.get(p[1]);
      if (s == null || w == null || Double.isNaN(s.allocNorm)) {
        continue;
      }
      double added = s.allocNorm - w.allocNorm;
      String target;
      boolean met;
      if (p[3].equals("-")) {
        target = "none (reported)";
        met = true;
      } else if (p[3].equals("abs0")) {
        target = "0 B per lookup";
        met = s.allocNorm < 1;
      } else {
        target = "adds ≤ " + p[3] + " B";
        met = added <= Integer.parseInt(p[3]);
      }
      out.append(String.format(Locale.ROOT, "| %s (`%s` vs `%s`) | %.0f | %.0f | %s | %+.0f B | %s | **%s** |%n",
          p[2], p[0], p[1], s.allocNorm, w.allocNorm, ratio(s.allocNorm, w.allocNorm), added, target,
          p[3].equals("-") ? "-" : met ? "met" : "missed"));
    }
    return out.toString();
  }

  private static String time(Map<String, Result> r) {
    StringBuilder out = new StringBuilder();
    out.append("| call | SDK | raw | SDK/raw | ± SDK, raw (99.9 %) |\n");
    out.append("|---|---:|---:|---:|---|\n");
    for (String[] p : PAIRS) {
      Result s = r.get(p[0]);
      Result w = r.get(p[1]);
      if (s == null || w == null) {
        continue;
      }
      out.append(String.format(Locale.ROOT, "| %s | %s %s | %s %s | **%s** | %s, %s |%n",
          p[2], fmt(s.score), s.unit, fmt(w.score), w.unit, ratio(s.score, w.score), fmt(s.error),
          fmt(w.error)));
    }
    return out.toString();
  }

  static String ratio(double a, double b) {
    return b == 0 ? (a == 0 ? "1" : "∞") : String.format(Locale.ROOT, "%.2f", a / b);
  }

  static String fmt(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    double a = Math.abs(v);
    return String.format(Locale.ROOT, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : "%.2f", v);
  }

  static Map<String, Result> read(Path file) throws IOException {
    Map<String, Result> out = new LinkedHashMap<>();
    try (Reader in = Files.newBufferedReader(file)) {
      JsonArray runs = JsonParser.parseReader(in).getAsJsonArray();
      for (JsonElement e : runs) {
        JsonObject run = e.getAsJsonObject();
        String name = run.get("benchmark").getAsString();
        name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
        JsonObject primary = run.getAsJsonObject("primaryMetric");
        double alloc = Double.NaN;
        JsonObject secondary = run.getAsJsonObject("secondaryMetrics");
        if (secondary != null) {
          for (String k : secondary.keySet()) {
            if (k.endsWith("gc.alloc.rate.norm")) {
              alloc = secondary.getAsJsonObject(k).get("score").getAsDouble();
            }
          }
        }
        JsonElement err = primary.get("scoreError");
        double error = err == null || !err.isJsonPrimitive() || !err.getAsJsonPrimitive().isNumber()
            ? Double.NaN : err.getAsDouble();
        out.put(name, new Result(primary.get("score").getAsDouble(), error,
            primary.get("scoreUnit").getAsString(), alloc));
      }
    }
    return out;
  }
}
