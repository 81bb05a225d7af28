package dev.privateegress.testing;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One redis-server process and its data directory, started by {@link RedisLauncher} or as a member of
 * a {@link RedisCluster}. It can be killed ({@code SIGKILL}), shut down and started again on the same
 * ports with its data directory intact; {@link #close()} destroys it and deletes the directory.
 *
 * <p>Each node has a hidden ACL user that this class uses for its own admin commands ({@link
 * #command}), so tests may change the {@code default} user's password freely. A JVM shutdown hook
 * destroys processes a test forgot to close (test kit only; the SDK itself never registers hooks).
 */
public final class RedisNode implements AutoCloseable {
  private final NodeOptions options;
  private final String adminPassword = randomHex(16);
  private final Path dir;
  /** A cluster node's client port (its bus port is this + 10000), or -1 to pick free ports. */
  private final int fixedPort;
  private int port = -1;
  private int tlsPort = -1;
  private volatile Process process; // replaced by each (re)start; read by the shutdown hook
  private Thread hook;

  /**
   * @param fixedPort for a cluster node, the client port whose bus port (+10000) is free: the TLS port
   *     on a TLS cluster (Redis derives the bus port from it then), else the plaintext port; -1 otherwise
   */
  RedisNode(NodeOptions options, int fixedPort) {
    this.options = options;
    this.fixedPort = fixedPort;
    try {
      this.dir = Files.createTempDirectory("private-egress-redis-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Always {@code 127.0.0.1}. */
  public String host() {
    return "127.0.0.1";
  }

  /** The plaintext port (the launcher's admin commands use it, also on TLS nodes). */
  public int port() {
    return port;
  }

  /** The TLS port, or -1 without TLS. */
  public int tlsPort() {
    return tlsPort;
  }

  /** The port clients of a cluster are told about: the TLS port on TLS clusters, else {@link #port()}. */
  public int clientPort() {
    return tlsPort > 0 && options.cluster ? tlsPort : port;
  }

  /** {@code redis://127.0.0.1:PORT}, without credentials. */
  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  /** {@code rediss://127.0.0.1:TLSPORT}, without credentials. */
  public String tlsUrl() {
    if (tlsPort < 0) {
      throw new IllegalStateException("this node has no TLS port");
    }
    return "rediss://127.0.0.1:" + tlsPort;
  }

  /** The data directory (AOF, RDB, nodes.conf, redis.log). */
  public Path directory() {
    return dir;
  }

  /** The operating-system process id of the current server process, or -1 before the first start. */
  public long pid() {
    Process p = process;
    return p == null ? -1 : p.pid();
  }

  /** True while the process is alive. */
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** This node's cluster node id ({@code CLUSTER MYID}). */
  public String clusterId() {
    return String.valueOf(command("CLUSTER", "MYID"));
  }

  /** {@code master} or {@code slave}, from {@code ROLE}. */
  public String role() {
    Object r = command("ROLE");
    return r instanceof List<?> l && !l.isEmpty() ? String.valueOf(l.get(0)) : String.valueOf(r);
  }

  /**
   * Starts the process (again), on the same ports and directory as before, and waits until it answers
   * PING.
   *
   * @throws IllegalStateException when the server does not start within 15 s; includes its log
   */
  public synchronized RedisNode start() {
    return start(false);
  }

  /**
   * Like {@link #start()}, but returns as soon as the server accepts connections, possibly while it
   * still loads its data set: until then commands are refused with {@code LOADING}, as after a restart
   * of a large instance.
   */
  public synchronized RedisNode startAccepting() {
    return start(true);
  }

  private RedisNode start(boolean loadingIsUp) {
    if (isRunning()) {
      return this;
    }
    IllegalStateException failure = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      boolean firstStart = port < 0;
      if (firstStart) {
        boolean tlsCluster = options.tls != null && options.cluster;
        port = fixedPort > 0 && !tlsCluster ? fixedPort : Ports.freePort();
        tlsPort = options.tls == null ? -1 : fixedPort > 0 && tlsCluster ? fixedPort : Ports.freePort();
      }
      try {
        launch(loadingIsUp);
        return this;
      } catch (IllegalStateException e) {
        failure = e;
        destroy();
        boolean portTaken = String.valueOf(e.getMessage()).contains("Address already in use");
        if (!firstStart || !portTaken || fixedPort > 0) {
          throw e;
        }
        port = -1; // another process grabbed the free port between probe and bind; pick again
        tlsPort = -1;
      }
    }
    throw failure;
  }

  private void launch(boolean loadingIsUp) {
    List<String> cmd = options.commandLine(dir, options.writeSecrets(dir, adminPassword), port, tlsPort);
    try {
      Files.deleteIfExists(dir.resolve("redis.log"));
      process = new ProcessBuilder(cmd).directory(dir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.log").toFile()))
          .start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
    }
    if (hook == null) {
      // Destroys whatever process is current when the JVM exits, also after restarts.
      hook = new Thread(this::destroy, "redis-launcher-cleanup");
      Runtime.getRuntime().addShutdownHook(hook);
    }
    awaitUp(15_000, loadingIsUp);
  }

  private void awaitUp(long timeoutMillis, boolean loadingIsUp) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    Exception last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("redis-server exited with " + process.exitValue() + ": " + log());
      }
      try {
        if ("PONG".equals(command("PING"))) {
          return;
        }
      } catch (RedisError e) {
        if (loadingIsUp && String.valueOf(e.getMessage()).startsWith("LOADING")) {
          return;
        }
        last = e;
      } catch (RuntimeException e) {
        last = e;
      }
      Ports.sleep(20);
    }
    throw new IllegalStateException("redis-server did not answer within " + timeoutMillis + " ms ("
        + (last == null ? "" : last.getMessage()) + "): " + log());
  }

  /** The server's log so far (for failure messages). */
  public String log() {
    StringBuilder sb = new StringBuilder();
    for (String name : List.of("stdout.log", "redis.log")) {
      try {
        Path p = dir.resolve(name);
        if (Files.exists(p)) {
          String s = Files.readString(p, StandardCharsets.UTF_8);
          sb.append(s.length() > 4000 ? s.substring(s.length() - 4000) : s);
        }
      } catch (IOException e) {
        sb.append("(cannot read ").append(name).append(')');
      }
    }
    return sb.toString();
  }

  /**
   * Sends one command over a fresh plaintext connection as the launcher's admin user and returns the
   * reply: {@code String} for simple and bulk strings, {@code Long}, {@code List<Object>}, or null.
   *
   * @throws RedisError for an error reply
   * @throws UncheckedIOException when the server cannot be reached
   */
  public Object command(String... args) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      InputStream in = new BufferedInputStream(s.getInputStream());
      Resp.write(out, "AUTH", NodeOptions.ADMIN_USER, adminPassword);
      Resp.read(in);
      Resp.write(out, args);
      return Resp.read(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach " + this + ": " + e.getMessage(), e);
    }
  }

  /** Kills the process with SIGKILL (no save, no goodbye to clients) and waits for it to exit. */
  public synchronized void kill() {
    destroy();
  }

  /**
   * Stops the server gracefully ({@code SHUTDOWN}, which writes the AOF when enabled) and waits for
   * the process to exit.
   */
  public synchronized void shutdown() {
    if (!isRunning()) {
      return;
    }
    try {
      command("SHUTDOWN");
    } catch (RuntimeException e) {
      // the connection drops as the server exits
    }
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        destroy();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      destroy();
    }
  }

  /** {@link #shutdown()} then {@link #start()}: same port, same data directory. */
  public synchronized RedisNode restart() {
    shutdown();
    return start();
  }

  /** Destroys the current process, if any (not synchronized: the shutdown hook calls it too). */
  private void destroy() {
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Kills the process and deletes the data directory. */
  @Override
  public synchronized void close() {
    destroy();
    if (hook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // JVM already shutting down
      }
      hook = null;
    }
    TlsMaterial.deleteTree(dir);
  }

  @Override
  public String toString() {
    return "redis-server 127.0.0.1:" + port + (tlsPort > 0 ? " (tls " + tlsPort + ")" : "")
        + (options.cluster ? " (cluster)" : "");
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
