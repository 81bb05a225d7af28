package dev.privateegress.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The jar weight an SDK module adds to a service: the bytes of every jar on the module's runtime classpath (its
 * own jar and everything it pulls in) that is not already on the raw client's runtime classpath. Input: Maven
 * runtime classpath files ({@code dependency:build-classpath -DincludeScope=runtime}), as run.sh writes them.
 *
 * <pre>
 * JarWeight LABEL MODULE_JAR MODULE_CLASSPATH RAW_CLASSPATH
 * </pre>
 * Prints one Markdown row: module, its jars in MiB, the raw client's in MiB, the difference and the largest
 * additions.
 */
public final class JarWeight {
  private JarWeight() {}

  public static void main(String[] args) throws IOException {
    String label = args[0];
    Set<Path> module = new LinkedHashSet<>();
    module.add(Path.of(args[1]));
    module.addAll(read(Path.of(args[2])));
    Set<String> rawNames = new LinkedHashSet<>();
    long raw = 0;
    for (Path p : read(Path.of(args[3]))) {
      rawNames.add(p.getFileName().toString());
      raw += Files.size(p);
    }
    long total = 0;
    long added = 0;
    List<Object[]> additions = new ArrayList<>();
    for (Path p : module) {
      long size = Files.size(p);
      total += size;
      if (!rawNames.contains(p.getFileName().toString())) {
        added += size;
        additions.add(new Object[] {p.getFileName().toString(), size});
      }
    }
    additions.sort((a, b) -> Long.compare((long) b[1], (long) a[1]));
    StringBuilder top = new StringBuilder();
    for (int i = 0; i < Math.min(5, additions.size()); i++) {
      top.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "`%s` %.2f", additions.get(i)[0],
          (long) additions.get(i)[1] / 1048576.0));
    }
    System.out.printf(Locale.ROOT, "| %s | %.2f MiB (%d jars) | %.2f MiB (%d jars) | %s | **+%.2f MiB** (%d jars) "
        + "| %s |%n", label, total / 1048576.0, module.size(), raw / 1048576.0, rawNames.size(),
        JmhTables.ratio(total, raw), added / 1048576.0, additions.size(), top);
  }

  private static List<Path> read(Path classpathFile) throws IOException {
    List<Path> out = new ArrayList<>();
    for (String s : Files.readString(classpathFile).trim().split(java.io.File.pathSeparator)) {
      if (!s.isBlank() && s.endsWith(".jar")) {
        out.add(Path.of(s));
      }
    }
    return out;
  }
}
