package dev.privateegress.samples.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

/**
 * The {@code aot} profile's steps for one sample, run by the JDK that will run the sample:
 *
 * <ol>
 *   <li><b>layout</b>: {@code target/application/NAME.jar} + {@code lib/}; Spring Boot's
 *       {@code -Djarmode=tools extract} for the Boot samples, a thin jar whose manifest lists {@code lib/*.jar}
 *       for plain ones. Every jar gets the build's timestamp as its modification time, the one the image's
 *       files get, because the cache records each jar's time and size;
 *   <li><b>train</b>: starts the sample from {@code target/application} with {@code -XX:AOTCacheOutput=app.aot}
 *       (JDK 25+) or {@code -XX:ArchiveClassesAtExit=app.jsa} (JDK 17-24) against its {@link Scenario},
 *       answers the readiness probe and a few requests of the main path, and stops it with SIGTERM;
 *   <li><b>check</b> ({@code --check}): starts it with the cache in the mode that refuses an unusable one
 *       ({@code -XX:AOTMode=on}, {@code -Xshare:on}), logs class loading, and fails unless the main path
 *       answers and the sample's main class came from the cache.
 * </ol>
 *
 * <p>Usage: {@code AotTraining --sample NAME --target DIR [--layout boot|plain --main-class C --thin-jar J
 * --class-path CP] --timestamp ISO [--skip-layout] [--check]}.
 */
public final class AotTraining {
  private static final Duration START_TIMEOUT = Duration.ofMinutes(4);
  private static final Duration EXIT_TIMEOUT = Duration.ofMinutes(4); // the JDK 25 JVM writes the cache on exit
  private static final int REQUESTS = 5;

  private final Map<String, String> args;
  private final String sample;
  private final Path target;
  private final Path application;
  private final Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
  private final boolean aotCache = Runtime.version().feature() >= 25;

  private AotTraining(Map<String, String> args) {
    this.args = args;
    this.sample = required("sample");
    this.target = Path.of(required("target")).toAbsolutePath();
    this.application = target.resolve("application");
  }

  /**
   * Runs the steps; exits with status 1 and the reason when one fails.
   *
   * @param argv see the class comment
   */
  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new HashMap<>();
    for (int i = 0; i < argv.length; i++) {
      if (!argv[i].startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + argv[i] + "'; see AotTraining's usage");
      }
      String key = argv[i].substring(2);
      boolean flag = key.equals("check") || key.equals("skip-layout");
      args.put(key, flag ? "true" : argv[++i]);
    }
    AotTraining t = new AotTraining(args);
    try {
      if (args.containsKey("check")) {
        t.check();
      } else {
        if (!args.containsKey("skip-layout")) {
          t.layout();
        }
        t.train();
      }
    } catch (IllegalStateException e) {
      System.err.println("aot: " + t.sample + ": " + e.getMessage());
      System.exit(1);
    }
  }

  /** The cache file this JDK writes and reads. */
  String cacheName() {
    return aotCache ? "app.aot" : "app.jsa";
  }

  void layout() throws IOException, InterruptedException {
    deleteTree(application);
    String layout = args.getOrDefault("layout", "boot");
    if (layout.equals("boot")) {
      Path fatJar = target.resolve(sample + ".jar");
      Process p = new ProcessBuilder(javaBin.toString(), "-Djarmode=tools", "-jar", fatJar.toString(), "extract",
          "--destination", application.toString()).inheritIO().start();
      if (p.waitFor() != 0) {
        throw new IllegalStateException("java -Djarmode=tools -jar " + fatJar + " extract failed with " + p.exitValue());
      }
    } else if (layout.equals("plain")) {
      thinLayout(Path.of(required("thin-jar")), required("main-class"), required("class-path"));
    } else {
      throw new IllegalArgumentException("--layout must be boot or plain, was '" + layout + "'");
    }
    // project.build.outputTimestamp: ISO-8601 or seconds since the epoch
    String raw = required("timestamp");
    FileTime time = FileTime.from(raw.chars().allMatch(Character::isDigit)
        ? Instant.ofEpochSecond(Long.parseLong(raw)) : Instant.parse(raw));
    try (Stream<Path> files = Files.walk(application)) {
      for (Path f : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".jar"))::iterator) {
        Files.setLastModifiedTime(f, time);
      }
    }
    System.out.println("aot: " + sample + ": layout in " + application);
  }

  /** NAME.jar = the project's own jar with Main-Class and a Class-Path of lib/*.jar; lib/ = the runtime jars. */
  private void thinLayout(Path projectJar, String mainClass, String classPath) throws IOException {
    Path lib = Files.createDirectories(application.resolve("lib"));
    List<String> entries = new ArrayList<>();
    for (String element : classPath.split(File.pathSeparator)) {
      if (element.isBlank()) {
        continue;
      }
      Path jar = Path.of(element);
      Path copy = lib.resolve(jar.getFileName().toString());
      if (Files.exists(copy)) {
        throw new IllegalStateException("two runtime jars are named " + jar.getFileName() + ": rename one");
      }
      Files.copy(jar, copy);
      entries.add("lib/" + jar.getFileName());
    }
    try (JarFile in = new JarFile(projectJar.toFile());
        OutputStream file = Files.newOutputStream(application.resolve(sample + ".jar"))) {
      Manifest manifest = in.getManifest() == null ? new Manifest() : new Manifest(in.getManifest());
      Attributes main = manifest.getMainAttributes();
      main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
      main.put(Attributes.Name.MAIN_CLASS, mainClass);
      main.put(Attributes.Name.CLASS_PATH, String.join(" ", entries));
      try (JarOutputStream out = new JarOutputStream(file, manifest)) {
        for (Enumeration<? extends ZipEntry> e = in.entries(); e.hasMoreElements(); ) {
          ZipEntry entry = e.nextElement();
          if (entry.getName().equals(JarFile.MANIFEST_NAME)) {
            continue;
          }
          ZipEntry copy = new ZipEntry(entry.getName());
          copy.setTime(entry.getTime());
          out.putNextEntry(copy);
          try (InputStream data = in.getInputStream(entry)) {
            data.transferTo(out);
          }
          out.closeEntry();
        }
      }
    }
  }

  void train() throws IOException, InterruptedException {
    Path cache = application.resolve(cacheName());
    Files.deleteIfExists(cache);
    String option = aotCache ? "-XX:AOTCacheOutput=" + cacheName() : "-XX:ArchiveClassesAtExit=" + cacheName();
    Path log = target.resolve("aot-training.log");
    long t0 = System.nanoTime();
    try (Scenario scenario = Scenario.start(sample);
        SampleJvm jvm = SampleJvm.start(javaBin, application, List.of(option), sample + ".jar", scenario.environment(), log)) {
      Duration first = jvm.firstAnswer(scenario, START_TIMEOUT);
      jvm.exercise(scenario, REQUESTS);
      jvm.stop(EXIT_TIMEOUT);
      if (!Files.isRegularFile(cache)) {
        throw new IllegalStateException("the training run ended without writing " + cache + " (" + log + "):\n"
            + jvm.tail());
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      String summary = String.format(Locale.ROOT,
          "jdk=%s%ncache=%s%nbytes=%d%ntraining_seconds=%.1f%nfirst_answer_seconds=%.1f%n",
          Runtime.version(), cacheName(), Files.size(cache), seconds, first.toMillis() / 1000.0);
      Files.writeString(target.resolve("aot-training-" + cacheName() + ".txt"), summary, StandardCharsets.UTF_8);
      System.out.printf(Locale.ROOT, "aot: %s: %s (%.1f MB) written by a %.1f s training run on JDK %s%n",
          sample, cache, Files.size(cache) / 1e6, seconds, Runtime.version());
    }
  }

  void check() throws IOException, InterruptedException {
    Path cache = application.resolve(cacheName());
    if (!Files.isRegularFile(cache)) {
      throw new IllegalStateException(cache + " is missing: build with -Paot on this JDK first");
    }
    Path classLog = target.resolve("aot-check-classes.log");
    Files.deleteIfExists(classLog);
    List<String> options = new ArrayList<>(aotCache
        ? List.of("-XX:AOTCache=" + cacheName(), "-XX:AOTMode=on")
        : List.of("-XX:SharedArchiveFile=" + cacheName(), "-Xshare:on"));
    options.add("-Xlog:class+load=info:file=" + classLog);
    try (Scenario scenario = Scenario.start(sample);
        SampleJvm jvm = SampleJvm.start(javaBin, application, options, sample + ".jar", scenario.environment(),
            target.resolve("aot-check.log"))) {
      Duration first = jvm.firstAnswer(scenario, START_TIMEOUT);
      jvm.stop(EXIT_TIMEOUT);
      List<String> lines = Files.readAllLines(classLog, StandardCharsets.UTF_8);
      long loaded = lines.stream().filter(l -> l.contains("source:")).count();
      long shared = lines.stream().filter(l -> l.contains("source: shared objects file")).count();
      String mainClass = mainClass();
      boolean mainShared = lines.stream().anyMatch(l -> l.contains("] " + mainClass + " source: shared objects file"));
      System.out.printf(Locale.ROOT, "aot: %s: %d of %d classes came from %s (%s: %s); first answer "
          + "after %d ms%n", sample, shared, loaded, cacheName(), mainClass, mainShared ? "from the cache" : "NOT",
          first.toMillis());
      if (!mainShared || shared < loaded / 2) {
        throw new IllegalStateException("the cache is not used as expected: " + shared + " of " + loaded
            + " classes from " + cache + ", main class " + mainClass + (mainShared ? "" : " not") + " among them "
            + "(class loading log: " + classLog + ")");
      }
    }
  }

  private String mainClass() throws IOException {
    try (JarFile jar = new JarFile(application.resolve(sample + ".jar").toFile())) {
      return jar.getManifest().getMainAttributes().getValue(Attributes.Name.MAIN_CLASS);
    }
  }

  private String required(String name) {
    String v = args.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("--" + name + " is required; see AotTraining's usage");
    }
    return v;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(f);
      }
    }
  }
}
