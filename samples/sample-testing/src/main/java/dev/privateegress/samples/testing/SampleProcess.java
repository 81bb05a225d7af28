package dev.privateegress.samples.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A sample's packaged jar running in its own JVM, as {@code java -jar} runs it, with an environment made
 * only of PATH, HOME and what the test passes: so the developer's real variables cannot leak in.
 */
public final class SampleProcess implements AutoCloseable {
  private final Process process;
  private final Path log;
  /** The port the sample listens on ({@code PORT}). */
  public final int port;

  private SampleProcess(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /**
   * Starts {@code java -jar jar} on a free port with {@code env} (plus PATH and HOME) and waits until it
   * listens.
   */
  public static SampleProcess start(Path jar, Map<String, String> env) throws IOException {
    return start(jar, env, List.of());
  }

  /**
   * As {@link #start(Path, Map)}, with JVM options after the defaults (so {@code -Xmx64m} replaces the default
   * heap).
   */
  public static SampleProcess start(Path jar, Map<String, String> env, List<String> jvmOptions) throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: run the integration tests after package");
    }
    List<String> what = new ArrayList<>(jvmOptions);
    what.addAll(List.of("-jar", jar.toString()));
    return start(what, env);
  }

  /**
   * Starts {@code mainClass} on this JVM's class path (a test's, so with the test classes: a local demo such as
   * {@code TestRedisCounterApplication}) like {@link #start(Path, Map)}.
   */
  public static SampleProcess startMain(String mainClass, Map<String, String> env) throws IOException {
    return start(List.of("-cp", System.getProperty("java.class.path"), mainClass), env);
  }

  private static SampleProcess start(List<String> what, Map<String, String> env) throws IOException {
    int port = freePort();
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> cmd = new ArrayList<>(List.of(java.toString(), "-Xmx256m", "-XX:TieredStopAtLevel=1"));
    cmd.addAll(what);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> e = bareEnvironment(pb);
    e.put("NO_GCE_CHECK", "true"); // a build machine on a GCE VM must not ask its real metadata server
    e.put("PORT", Integer.toString(port));
    e.putAll(env);
    Path log = Files.createTempFile("sample-", ".log");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    SampleProcess p = new SampleProcess(pb.start(), log, port);
    p.process.getOutputStream().close();
    p.awaitListening(Duration.ofSeconds(180)); // generous: a loaded 2-core machine
    return p;
  }

  private void awaitListening(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("sample exited with " + process.exitValue() + ":\n" + output());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return;
      } catch (IOException notYet) {
        sleep(50);
      }
    }
    close();
    throw new IllegalStateException("sample did not listen on " + port + " within " + timeout + ":\n" + output());
  }

  /** {@code http://127.0.0.1:PORT} followed by {@code path}. */
  public String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  /** Everything the process wrote to stdout and stderr so far. */
  public String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The JVM process. */
  public Process process() {
    return process;
  }

  /** SIGTERM, as Cloud Run and Ctrl-C stop it; waits for the JVM to exit. */
  public int stop() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      return -1;
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      stop();
    }
    try {
      Files.deleteIfExists(log);
    } catch (IOException ignored) {
      // a temp file; the OS cleans up
    }
  }

  /** A loopback port that was free a moment ago. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * {@code pb}'s environment with only {@code PATH} and {@code HOME} kept: the sample sees the variables a test gives
   * it, not the build machine's (a developer's {@code REDIS_URL}, a CI runner's Google credentials).
   */
  static Map<String, String> bareEnvironment(ProcessBuilder pb) {
    Map<String, String> e = pb.environment();
    String path = e.get("PATH");
    String home = e.get("HOME");
    e.clear();
    if (path != null) {
      e.put("PATH", path);
    }
    if (home != null) {
      e.put("HOME", home);
    }
    return e;
  }
}
