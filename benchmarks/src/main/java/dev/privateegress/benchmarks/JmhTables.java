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
 * JmhTables http RESULT.json    # HttpBenchmark alone: every client, then the differences that matter
 * </pre>
 */
public final class JmhTables {
  private JmhTables() {}

  /** One benchmark's figures. */
  record Result(double score, double error, String unit, double allocNorm, double allocError) {}

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
    if (args.length != 2 || !args[0].equals("alloc") && !args[0].equals("time") && !args[0].equals("http")) {
      System.err.println("usage: JmhTables alloc|time|http FILE.json");
      System.exit(2);
    }
    Map<String, Result> r = read(Path.of(args[1]));
    System.out.print(args[0].equals("alloc") ? allocation(r) : args[0].equals("time") ? time(r) : http(r));
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

  /** HttpBenchmark's clients, in the order shown, with what each is. */
  private static final String[][] HTTP_CLIENTS = {
      {"raw", "`new OkHttpClient()`"},
      {"floorNoToken", "floor: application + network interceptor, passing the request through"},
      {"floor", "floor: application + network interceptor putting a cached token header on the wire"},
      {"sdk", "SDK, no token"},
      {"sdkWithToken", "SDK with ID token (cached)"},
      {"sdkNoopRegistry", "SDK, `ObservationRegistry.create()` without handlers"},
      {"sdkRegistryNoop", "SDK, `ObservationRegistry.NOOP`"},
      {"sdkTraced", "SDK tracing every attempt (OpenTelemetry bridge, spans dropped)"},
      {"rawTraced", "OkHttp + Micrometer's `OkHttpObservationInterceptor`, same tracer"},
  };

  /** Differences: minuend, subtrahend, what it means, target in bytes ("-": reported only). */
  private static final String[][] HTTP_DIFFERENCES = {
      {"floor", "raw", "OkHttp's interceptor model with a token (floor − raw)", "-"},
      {"sdkWithToken", "floor", "**the SDK's own share, with token** (SDK with token − floor)", "128"},
      {"sdk", "floorNoToken", "**the SDK's own share, no token** (SDK − floor without token)", "128"},
      {"sdkNoopRegistry", "sdk", "registry without handlers (vs no registry)", "0"},
      {"sdkRegistryNoop", "sdk", "`ObservationRegistry.NOOP` (vs no registry)", "0"},
      {"sdkTraced", "sdk", "tracing on, SDK (traced − untraced)", "-"},
      {"rawTraced", "raw", "tracing on, OkHttp + `OkHttpObservationInterceptor` (− raw)", "-"},
  };

  private static String http(Map<String, Result> all) {
    Map<String, Result> r = new LinkedHashMap<>();
    all.forEach((k, v) -> {
      if (k.startsWith("HttpBenchmark.")) {
        r.put(k.substring("HttpBenchmark.".length()), v);
      }
    });
    StringBuilder out = new StringBuilder();
    out.append("| client (`HttpBenchmark.…`) | B/call | ± (99.9 %) | time/call | ± (99.9 %) |\n");
    out.append("|---|---:|---:|---:|---:|\n");
    for (String[] c : HTTP_CLIENTS) {
      Result x = r.get(c[0]);
      if (x != null) {
        out.append(String.format(Locale.ROOT, "| %s (`%s`) | %.0f | %.0f | %s %s | %s |%n", c[1], c[0], x.allocNorm,
            x.allocError, fmt(x.score), x.unit, fmt(x.error)));
      }
    }
    out.append("\n| difference | B/call | ± | time/call | target | |\n");
    out.append("|---|---:|---:|---:|---|---|\n");
    for (String[] d : HTTP_DIFFERENCES) {
      Result a = r.get(d[0]);
      Result b = r.get(d[1]);
      if (a == null || b == null) {
        continue;
      }
      double bytes = a.allocNorm - b.allocNorm;
      double err = Math.hypot(a.allocError, b.allocError);
      String verdict = d[3].equals("-") ? "-" : bytes <= Integer.parseInt(d[3]) ? "met"
          : bytes - err <= Integer.parseInt(d[3]) ? "within noise" : "missed";
      out.append(String.format(Locale.ROOT, "| %s | %+.0f | %.0f | %+.1f %s | %s | %s |%n", d[2], bytes, err,
          a.score - b.score, a.unit, d[3].equals("-") ? "reported" : "≤ " + d[3] + " B", verdict));
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
        double allocError = Double.NaN;
        JsonObject secondary = run.getAsJsonObject("secondaryMetrics");
        if (secondary != null) {
          for (String k : secondary.keySet()) {
            if (k.endsWith("gc.alloc.rate.norm")) {
              JsonObject m = secondary.getAsJsonObject(k);
              alloc = m.get("score").getAsDouble();
              JsonElement ae = m.get("scoreError");
              allocError = ae != null && ae.isJsonPrimitive() && ae.getAsJsonPrimitive().isNumber()
                  ? ae.getAsDouble() : Double.NaN;
            }
          }
        }
        JsonElement err = primary.get("scoreError");
        double error = err == null || !err.isJsonPrimitive() || !err.getAsJsonPrimitive().isNumber()
            ? Double.NaN : err.getAsDouble();
        out.put(name, new Result(primary.get("score").getAsDouble(), error,
            primary.get("scoreUnit").getAsString(), alloc, allocError));
      }
    }
    return out;
  }
}
