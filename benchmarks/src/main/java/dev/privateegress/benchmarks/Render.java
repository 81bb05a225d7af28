package dev.privateegress.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.io.Reader;

/**
 * Writes BENCHMARKS.md from {@code benchmarks/BENCHMARKS.template.md} and a run's results directory: a line
 * {@code @@NAME@@} becomes the file {@code NAME.md} of the results, {@code @@cmd:NAME@@} the command that
 * produced it (in a code block), and {@code {{key}}} a value of {@code meta.properties}. A result missing from
 * the run (a section that failed) is shown as such rather than dropped.
 */
public final class Render {
  private Render() {}

  public static void main(String[] args) throws IOException {
    Path template = Path.of(args[0]);
    Path results = Path.of(args[1]);
    Path out = Path.of(args[2]);
    Properties meta = new Properties();
    try (Reader r = Files.newBufferedReader(results.resolve("meta.properties"))) {
      meta.load(r);
    }
    StringBuilder md = new StringBuilder();
    for (String line : Files.readAllLines(template)) {
      String t = line.trim();
      if (t.startsWith("@@cmd:") && t.endsWith("@@")) {
        Path cmd = results.resolve(t.substring(6, t.length() - 2) + ".cmd");
        md.append("```\n").append(Files.exists(cmd) ? Files.readString(cmd).trim() : "(not run)").append("\n```\n");
      } else if (t.startsWith("@@") && t.endsWith("@@") && t.length() > 4) {
        String name = t.substring(2, t.length() - 2);
        Path f = results.resolve(name + ".md");
        md.append(Files.exists(f) && Files.size(f) > 0 ? Files.readString(f).stripTrailing()
            : "**Not measured in this run** (`" + name + "` failed; see the log printed by run.sh).").append('\n');
      } else {
        for (String k : meta.stringPropertyNames()) {
          line = line.replace("{{" + k + "}}", meta.getProperty(k));
        }
        md.append(line).append('\n');
      }
    }
    Files.writeString(out, md);
  }
}
