package dev.privateegress.samples.testing;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A sample started as {@code java [options] -jar JAR} from a folder, with only PATH, HOME and the scenario's
 * variables in its environment, timed from exec to its first 2xx answer on the main path.
 */
final class SampleJvm implements AutoCloseable {
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  final Process process;
  final int port;
  final Path log;
  private final long startNanos;

  private SampleJvm(Process process, int port, Path log, long startNanos) {
    this.process = process;
    this.port = port;
    this.log = log;
    this.startNanos = startNanos;
  }

  /** Starts {@code java options -jar jar} in {@code dir}; output goes to {@code log}. */
  static SampleJvm start(Path java, Path dir, List<String> options, String jar, Map<String, String> env, Path log)
      throws IOException {
    int port = SampleProcess.freePort();
    List<String> cmd = new ArrayList<>();
    cmd.add(java.toString());
    cmd.addAll(options);
    cmd.add("-jar");
    cmd.add(jar);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
    Map<String, String> e = SampleProcess.bareEnvironment(pb);
    e.putAll(env);
    e.put("PORT", Integer.toString(port));
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    long t0 = System.nanoTime();
    Process p = pb.start();
    p.getOutputStream().close();
    return new SampleJvm(p, port, log, t0);
  }

  /**
   * Polls the main path every 10 ms until it answers 2xx and returns the time since exec.
   *
   * @throws IllegalStateException when the JVM exits first or {@code timeout} passes
   */
  Duration firstAnswer(Scenario scenario, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the sample exited with " + process.exitValue() + " before answering:\n"
            + tail());
      }
      try {
        HttpResponse<String> r = CLIENT.send(scenario.mainPath(port), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 == 2) {
          return Duration.ofNanos(System.nanoTime() - startNanos);
        }
        last = r.statusCode() + " " + r.body().strip();
      } catch (ConnectException notListening) {
        // not listening yet
      }
      Thread.sleep(10);
    }
    throw new IllegalStateException("no 2xx answer within " + timeout + " (last: " + last + "):\n" + tail());
  }

  /** Answers {@code count} more requests of the main path (and the readiness probe), each a 2xx. */
  void exercise(Scenario scenario, int count) throws IOException, InterruptedException {
    if (scenario.springBoot()) {
      expect2xx(CLIENT.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness")).build(),
          HttpResponse.BodyHandlers.ofString()), "readiness");
    }
    for (int i = 0; i < count; i++) {
      expect2xx(CLIENT.send(scenario.mainPath(port), HttpResponse.BodyHandlers.ofString()), "main path");
    }
  }

  private void expect2xx(HttpResponse<String> r, String what) {
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException(what + " " + r.uri() + " answered " + r.statusCode() + " " + r.body() + "\n"
          + tail());
    }
  }

  /** SIGTERM, as Cloud Run stops an instance, then waits up to {@code timeout} for the JVM to exit. */
  int stop(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
      throw new IllegalStateException("the sample did not exit within " + timeout + " of SIGTERM:\n" + tail());
    }
    return process.exitValue();
  }

  /** The last 60 lines of the JVM's output. */
  String tail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
