package dev.privateegress.samples.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Time from exec to the first 2xx answer on each sample's main path, for the fat jar, the extracted layout
 * and the extracted layout with the JDK's cache ({@code app.aot} on JDK 25, {@code app.jsa} on JDK 17), on
 * two JDKs. The modes alternate within every round, so that the load of a shared machine hits them alike.
 * Prints a Markdown table: median, min-max, the ratio of the medians to the fat jar on the same JDK, the
 * cache's size and the training run's duration.
 *
 * <p>Usage: {@code ColdStartBenchmark --samples-dir DIR --java25 JAVA --java17 JAVA [--runs 10]
 * [--budget-minutes 40] [--only redis-counter,...]}; run {@code -Paot package} on each JDK first, so that
 * {@code target/application} holds both caches.
 */
public final class ColdStartBenchmark {
  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

  private record Mode(String label, Path java, String jdk, boolean fat, String cache) {}

  private ColdStartBenchmark() {}

  /**
   * Runs the rounds and prints the table on stdout (progress on stderr).
   *
   * @param argv see the class comment
   */
  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new LinkedHashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) {
      args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
    }
    Path samples = Path.of(args.getOrDefault("samples-dir", "samples"));
    int runs = Integer.parseInt(args.getOrDefault("runs", "10"));
    List<String> only = args.containsKey("only") ? List.of(args.get("only").split(",")) : Scenario.SAMPLES;
    // Each sample gets an equal share of the budget: a loaded machine ends every sample with fewer rounds, none with none.
    long share = Duration.ofMinutes(Long.parseLong(args.getOrDefault("budget-minutes", "40"))).toNanos() / only.size();
    List<Mode> modes = new ArrayList<>();
    for (String jdk : List.of("25", "17")) {
      String java = args.get("java" + jdk);
      if (java == null) {
        continue;
      }
      String cache = jdk.equals("25") ? "app.aot" : "app.jsa";
      modes.add(new Mode("fat jar", Path.of(java), jdk, true, null));
      modes.add(new Mode("extracted", Path.of(java), jdk, false, null));
      modes.add(new Mode("extracted + " + cache, Path.of(java), jdk, false, cache));
    }
    StringBuilder out = new StringBuilder();
    out.append("| sample | JDK | mode | median ms | min-max ms | vs fat jar | runs |\n");
    out.append("|---|---|---|---:|---:|---:|---:|\n");
    StringBuilder caches = new StringBuilder();
    for (String sample : only) {
      Path target = samples.resolve(sample).resolve("target").toAbsolutePath();
      Map<Mode, List<Long>> times = new LinkedHashMap<>();
      modes.forEach(m -> times.put(m, new ArrayList<>()));
      Map<Mode, Integer> failures = new LinkedHashMap<>();
      long deadline = System.nanoTime() + share;
      try (Scenario scenario = Scenario.start(sample)) {
        for (int round = 0; round < runs && System.nanoTime() < deadline; round++) {
          for (Mode m : modes) {
            try {
              long ms = once(scenario, target, sample, m);
              times.get(m).add(ms);
              System.err.printf(Locale.ROOT, "cold-start: %s round %d JDK %s %s: %d ms%n", sample, round + 1, m.jdk,
                  m.label, ms);
            } catch (IllegalStateException e) {
              failures.merge(m, 1, Integer::sum);
              System.err.printf(Locale.ROOT, "cold-start: %s round %d JDK %s %s FAILED: %s%n", sample, round + 1,
                  m.jdk, m.label, e.getMessage());
            }
          }
        }
      }
      for (String jdk : List.of("25", "17")) {
        double fat = Double.NaN;
        for (Mode m : modes) {
          if (!m.jdk.equals(jdk)) {
            continue;
          }
          if (times.get(m).isEmpty()) {
            out.append(String.format(Locale.ROOT, "| %s | %s | %s | - | - | - | 0 (%d failed) |%n", sample, jdk,
                m.label, failures.getOrDefault(m, 0)));
            continue;
          }
          List<Long> t = new ArrayList<>(times.get(m));
          t.sort(null);
          double median = t.size() % 2 == 1 ? t.get(t.size() / 2) : (t.get(t.size() / 2 - 1) + t.get(t.size() / 2)) / 2.0;
          if (m.fat) {
            fat = median;
          }
          out.append(String.format(Locale.ROOT, "| %s | %s | %s | %.0f | %d-%d | %.0f %% | %d |%n", sample, jdk,
              m.label, median, t.get(0), t.get(t.size() - 1), 100 * median / fat, t.size())
              .replace(" |\n", failures.containsKey(m) ? " (" + failures.get(m) + " failed) |\n" : " |\n"));
        }
      }
      for (String cache : List.of("app.aot", "app.jsa")) {
        Path summary = target.resolve("aot-training-" + cache + ".txt");
        if (Files.exists(summary)) {
          Map<String, String> s = new LinkedHashMap<>();
          for (String line : Files.readAllLines(summary, StandardCharsets.UTF_8)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
              s.put(line.substring(0, eq), line.substring(eq + 1));
            }
          }
          caches.append(String.format(Locale.ROOT, "| %s | %s | %s | %.1f MB | %s s |%n", sample, cache, s.get("jdk"),
              Long.parseLong(s.get("bytes")) / 1e6, s.get("training_seconds")));
        }
      }
    }
    System.out.print(out);
    System.out.println();
    System.out.println("| sample | cache | trained on | size on disk | training run (build step) |");
    System.out.println("|---|---|---|---:|---:|");
    System.out.print(caches);
  }

  private static long once(Scenario scenario, Path target, String sample, Mode m) throws IOException, InterruptedException {
    Path dir = m.fat ? target : target.resolve("application");
    List<String> options = new ArrayList<>();
    if (m.cache != null) {
      if (!Files.isRegularFile(dir.resolve(m.cache))) {
        throw new IllegalStateException(dir.resolve(m.cache) + " is missing: build -Paot package on JDK " + m.jdk);
      }
      // The strict modes: a start that could not use the cache fails instead of being timed without it.
      options.addAll(m.cache.equals("app.aot") ? List.of("-XX:AOTCache=app.aot", "-XX:AOTMode=on")
          : List.of("-XX:SharedArchiveFile=app.jsa", "-Xshare:on"));
    }
    Path log = Files.createTempFile("cold-start-", ".log");
    try (SampleJvm jvm = SampleJvm.start(m.java, dir, options, sample + ".jar", scenario.environment(), log)) {
      long ms = jvm.firstAnswer(scenario, START_TIMEOUT).toMillis();
      jvm.close(); // SIGKILL: only the start is measured
      return ms;
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
