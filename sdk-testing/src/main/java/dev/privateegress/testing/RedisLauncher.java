package dev.privateegress.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Starts real Redis server processes on free loopback ports, for tests: plain, with a password
 * ({@code requirepass}), with an ACL user, with TLS, and 3-master clusters; nodes can be killed and
 * restarted on the same port with their data directory intact.
 *
 * <pre>{@code
 * try (RedisLauncher.Node redis = RedisLauncher.builder().requirePass("s3cret").start()) {
 *   // connect to redis.host():redis.port()
 * }
 * try (RedisLauncher.Cluster cluster = RedisLauncher.cluster(3).start()) {
 *   // seed a cluster client with cluster.node(0).port()
 * }
 * }</pre>
 *
 * <p>The binary is {@code redis-server} from {@code PATH} when present, else the one shipped inside
 * the {@code com.github.codemonstur:embedded-redis} jar (extracted to a temporary file). Everything
 * binds to 127.0.0.1; each node gets a fresh temporary directory, deleted on {@link Node#close()}.
 * A JVM shutdown hook destroys processes a test forgot to close (test kit only; the SDK itself
 * never registers hooks).
 *
 * <p>Each node also gets a hidden ACL user that this class uses for its own admin commands ({@link
 * Node#command}), so tests may change the {@code default} user's password freely.
 */
public final class RedisLauncher {
  private static final String ADMIN_USER = "launcher-admin";
  private static final int CLUSTER_SLOTS = 16384;

  private RedisLauncher() {}

  /** A builder for one standalone node. */
  public static Builder builder() {
    return new Builder();
  }

  /** Starts a plain node: no password, no TLS, no persistence. */
  public static Node startPlain() {
    return builder().start();
  }

  /** A builder for a cluster of {@code masters} master nodes (no replicas), slots split evenly. */
  public static ClusterBuilder cluster(int masters) {
    return new ClusterBuilder(masters);
  }

  /**
   * The redis-server executable used: {@code redis-server} on {@code PATH}, else the embedded-redis
   * binary for this OS and architecture.
   */
  public static Path binary() {
    Path onPath = onPath("redis-server");
    return onPath != null ? onPath : EmbeddedBinary.extract();
  }

  /**
   * True when TLS tests can run here: {@code openssl} is on {@code PATH} (to make certificates) and
   * the redis-server binary was built with TLS support. The first call generates certificates and starts
   * and stops one short-lived process; the answer is then remembered for the JVM. Use it as the one
   * skip condition of TLS tests: {@code assumeTrue(RedisLauncher.tlsAvailable())}.
   */
  public static boolean tlsAvailable() {
    return TlsProbe.AVAILABLE;
  }

  /** Probed once, on first use (class initialisation is lazy and thread-safe). */
  private static final class TlsProbe {
    static final boolean AVAILABLE = probe();

    private static boolean probe() {
      if (!TlsMaterial.opensslAvailable()) {
        return false;
      }
      try (TlsMaterial tls = TlsMaterial.generate(); Node n = builder().tls(tls).start()) {
        return n.tlsPort() > 0;
      } catch (RuntimeException e) {
        return false;
      }
    }
  }

  static Path onPath(String executable) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, executable);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** Options for a standalone node. */
  public static final class Builder {
    private String requirePass;
    private final Map<String, String> aclUsers = new LinkedHashMap<>();
    private TlsMaterial tls;
    private boolean appendOnly;
    private boolean fsyncAlways;
    private final List<String> extra = new ArrayList<>();

    private Builder() {}

    /** Sets the {@code default} user's password ({@code requirepass}). */
    public Builder requirePass(String password) {
      this.requirePass = Objects.requireNonNull(password, "password");
      return this;
    }

    /** Adds an ACL user with full access ({@code ~* &* +@all}) and this password. */
    public Builder aclUser(String user, String password) {
      aclUsers.put(Objects.requireNonNull(user, "user"), Objects.requireNonNull(password, "password"));
      return this;
    }

    /**
     * Also listens for TLS on a second free port ({@link Node#tlsPort()}), with the material's server
     * certificate. Clients are not asked for certificates.
     */
    public Builder tls(TlsMaterial material) {
      this.tls = Objects.requireNonNull(material, "material");
      return this;
    }

    /** Turns on the append-only file so data survives {@link Node#kill()} and restarts. */
    public Builder appendOnly(boolean on) {
      this.appendOnly = on;
      return this;
    }

    /** With {@link #appendOnly}, fsync after every write ({@code appendfsync always}). */
    public Builder fsyncAlways(boolean on) {
      this.fsyncAlways = on;
      return this;
    }

    /**
     * Any other configuration directive, e.g. {@code config("maxmemory", "64mb")} or {@code
     * config("rename-command", "FLUSHALL", "")}. It is passed on the command line, so do not put secrets
     * here: passwords set with {@link #requirePass} and {@link #aclUser} go into a config file instead.
     */
    public Builder config(String name, String... values) {
      extra.add("--" + name);
      extra.addAll(List.of(values));
      return this;
    }

    /**
     * Starts the node and waits until it answers.
     *
     * @throws IllegalStateException when the server does not start within 15 s; includes its log
     */
    public Node start() {
      Node n = new Node(this, false);
      n.start();
      return n;
    }
  }

  /** Options for a cluster. */
  public static final class ClusterBuilder {
    private final int masters;
    private boolean appendOnly;

    private ClusterBuilder(int masters) {
      if (masters < 1 || masters > 16) {
        throw new IllegalArgumentException("masters must be 1-16, was " + masters);
      }
      this.masters = masters;
    }

    /** Turns on the append-only file on every node. */
    public ClusterBuilder appendOnly(boolean on) {
      this.appendOnly = on;
      return this;
    }

    /**
     * Starts the nodes, assigns slots, introduces them to each other and waits for {@code
     * cluster_state:ok} on every node.
     */
    public Cluster start() {
      List<Node> nodes = new ArrayList<>();
      try {
        for (int i = 0; i < masters; i++) {
          Builder b = new Builder().appendOnly(appendOnly);
          Node n = new Node(b, true);
          n.fixedPort = freePortPairForCluster()[0];
          n.start();
          nodes.add(n);
        }
        int per = CLUSTER_SLOTS / masters;
        for (int i = 0; i < masters; i++) {
          int from = i * per;
          int to = i == masters - 1 ? CLUSTER_SLOTS - 1 : from + per - 1;
          List<String> args = new ArrayList<>(List.of("CLUSTER", "ADDSLOTS"));
          for (int s = from; s <= to; s++) {
            args.add(Integer.toString(s));
          }
          nodes.get(i).command(args.toArray(new String[0]));
        }
        for (int i = 1; i < masters; i++) {
          // The bus port is port + 10000 (the default), so MEET works on Redis 6 too.
          nodes.get(i).command("CLUSTER", "MEET", "127.0.0.1", Integer.toString(nodes.get(0).port()));
        }
        Cluster c = new Cluster(nodes);
        c.awaitOk(30_000);
        return c;
      } catch (RuntimeException e) {
        nodes.forEach(Node::close);
        throw e;
      }
    }
  }

  /** A running (or stopped) cluster; {@link #close()} destroys every node and deletes their files. */
  public static final class Cluster implements AutoCloseable {
    private final List<Node> nodes;

    private Cluster(List<Node> nodes) {
      this.nodes = List.copyOf(nodes);
    }

    /** The nodes, in slot order (node 0 owns the lowest slots). */
    public List<Node> nodes() {
      return nodes;
    }

    /** Node {@code i} (0-based, in slot order). */
    public Node node(int i) {
      return nodes.get(i);
    }

    /** {@code 127.0.0.1:PORT} of node 0: a seed for cluster clients. */
    public String seed() {
      return nodes.get(0).host() + ":" + nodes.get(0).port();
    }

    /**
     * Waits until every running node reports {@code cluster_state:ok} and knows all other nodes as
     * connected.
     *
     * @throws IllegalStateException after {@code timeoutMillis}
     */
    public Cluster awaitOk(long timeoutMillis) {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
      String last = "";
      while (true) {
        boolean ok = true;
        for (Node n : nodes) {
          try {
            String info = String.valueOf(n.command("CLUSTER", "INFO"));
            String known = String.valueOf(n.command("CLUSTER", "NODES"));
            boolean allConnected = known.lines().filter(l -> !l.isBlank()).count() == nodes.size()
                && known.lines().noneMatch(l -> l.contains("fail") || l.contains("disconnected")
                    || l.contains("handshake") || l.contains("noaddr"));
            if (!info.contains("cluster_state:ok") || !allConnected) {
              ok = false;
              last = n + ": " + info.lines().filter(l -> l.startsWith("cluster_state")).findFirst().orElse("")
                  + "\n" + known;
            }
          } catch (RuntimeException e) {
            ok = false;
            last = n + ": " + e.getMessage();
          }
        }
        if (ok) {
          return this;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("cluster not ok after " + timeoutMillis + " ms: " + last);
        }
        sleep(50);
      }
    }

    @Override
    public void close() {
      nodes.forEach(Node::close);
    }

    @Override
    public String toString() {
      return "RedisLauncher.Cluster" + nodes;
    }
  }

  /** One redis-server process and its data directory. */
  public static final class Node implements AutoCloseable {
    private final Builder options;
    private final boolean cluster;
    private final String adminPassword = HexFormat.of().formatHex(randomBytes(16));
    private final Path dir;
    private int fixedPort = -1;
    private int port = -1;
    private int tlsPort = -1;
    private volatile Process process; // replaced by each (re)start; read by the shutdown hook
    private Thread hook;

    private Node(Builder options, boolean cluster) {
      this.options = options;
      this.cluster = cluster;
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

    /** The plaintext port. */
    public int port() {
      return port;
    }

    /** The TLS port, or -1 without {@link Builder#tls}. */
    public int tlsPort() {
      return tlsPort;
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

    /**
     * Starts the process (again), on the same ports and directory as before. Waits until it answers
     * PING.
     */
    public synchronized Node start() {
      if (isRunning()) {
        return this;
      }
      IllegalStateException failure = null;
      for (int attempt = 0; attempt < 3; attempt++) {
        boolean firstStart = port < 0;
        if (firstStart) {
          port = fixedPort > 0 ? fixedPort : freePort();
          if (options.tls != null) {
            tlsPort = freePort();
          }
        }
        try {
          launch();
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

    private void launch() {
      List<String> cmd = new ArrayList<>();
      cmd.add(binary().toString());
      // Passwords go into a file only this user can read, not on the command line where ps shows them.
      cmd.add(writeSecretConfig().toString());
      add(cmd, "port", Integer.toString(port));
      add(cmd, "bind", "127.0.0.1");
      add(cmd, "protected-mode", "no");
      add(cmd, "dir", dir.toString());
      add(cmd, "logfile", dir.resolve("redis.log").toString());
      add(cmd, "daemonize", "no");
      add(cmd, "save", "");
      add(cmd, "appendonly", options.appendOnly ? "yes" : "no");
      if (options.appendOnly) {
        add(cmd, "appendfsync", options.fsyncAlways ? "always" : "everysec");
      }
      if (options.tls != null) {
        add(cmd, "tls-port", Integer.toString(tlsPort));
        add(cmd, "tls-cert-file", options.tls.serverCertificate().toString());
        add(cmd, "tls-key-file", options.tls.serverKey().toString());
        add(cmd, "tls-ca-cert-file", options.tls.caCertificate().toString());
        add(cmd, "tls-auth-clients", "no");
      }
      if (cluster) {
        add(cmd, "cluster-enabled", "yes");
        add(cmd, "cluster-config-file", dir.resolve("nodes.conf").toString());
        add(cmd, "cluster-node-timeout", "2000");
        add(cmd, "cluster-require-full-coverage", "no");
        add(cmd, "cluster-announce-ip", "127.0.0.1");
      }
      cmd.addAll(options.extra);
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
      awaitUp(15_000);
    }

    /** {@code secrets.conf} in the node's directory, mode 0600: the admin user, ACL users, requirepass. */
    private Path writeSecretConfig() {
      StringBuilder conf = new StringBuilder();
      conf.append("user ").append(ADMIN_USER).append(" on ").append(quote(">" + adminPassword))
          .append(" ~* &* +@all\n");
      for (Map.Entry<String, String> u : options.aclUsers.entrySet()) {
        conf.append("user ").append(quote(u.getKey())).append(" on ").append(quote(">" + u.getValue()))
            .append(" ~* &* +@all\n");
      }
      if (options.requirePass != null) {
        conf.append("requirepass ").append(quote(options.requirePass)).append('\n');
      }
      Path file = dir.resolve("secrets.conf");
      try {
        Files.deleteIfExists(file);
        try {
          Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
          Files.createFile(file); // not a POSIX file system; the directory is private to this user anyway
        }
        Files.writeString(file, conf, StandardCharsets.UTF_8);
        return file;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + file, e);
      }
    }

    /** A double-quoted config-file argument: backslash, quote and control characters escaped. */
    private static String quote(String value) {
      StringBuilder q = new StringBuilder("\"");
      for (char c : value.toCharArray()) {
        if (c == '"' || c == '\\') {
          q.append('\\').append(c);
        } else if (c < 0x20 || c == 0x7f) {
          q.append(String.format("\\x%02x", (int) c));
        } else {
          q.append(c);
        }
      }
      return q.append('"').toString();
    }

    private static void add(List<String> cmd, String name, String value) {
      cmd.add("--" + name);
      cmd.add(value);
    }

    private void awaitUp(long timeoutMillis) {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
      Exception last = null;
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException("redis-server exited with " + process.exitValue() + ": " + log());
        }
        try {
          Object pong = command("PING");
          if ("PONG".equals(pong)) {
            return;
          }
        } catch (RuntimeException e) {
          last = e;
        }
        sleep(20);
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
     * Sends one command over a fresh plaintext connection as the launcher's admin user and returns
     * the reply: {@code String} for simple and bulk strings, {@code Long}, {@code List<Object>}, or
     * null.
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
        write(out, "AUTH", ADMIN_USER, adminPassword);
        read(in);
        write(out, args);
        return read(in);
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
    public synchronized Node restart() {
      shutdown();
      return start();
    }

    /** Destroys the current process, if any (not synchronized: the shutdown hook calls it too). */
    private void destroy() {
      Process p = process;
      if (p != null) {
        destroyQuietly(p);
      }
    }

    private static void destroyQuietly(Process p) {
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
          + (cluster ? " (cluster)" : "");
    }
  }

  /** An error reply from Redis, e.g. {@code ERR unknown command}. */
  public static final class RedisError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** An error with the server's reply line as message. */
    public RedisError(String message) {
      super(message);
    }
  }

  static void write(OutputStream out, String... args) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(('*' + Integer.toString(args.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (String a : args) {
      byte[] bytes = a.getBytes(StandardCharsets.UTF_8);
      b.write(('$' + Integer.toString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      b.write(bytes);
      b.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.write(b.toByteArray());
    out.flush();
  }

  static Object read(InputStream in) throws IOException {
    int type = in.read();
    if (type < 0) {
      throw new IOException("connection closed by server");
    }
    String line = readLine(in);
    switch (type) {
      case '+':
        return line;
      case '-':
        throw new RedisError(line);
      case ':':
        return Long.parseLong(line);
      case '$': {
        int len = Integer.parseInt(line);
        if (len < 0) {
          return null;
        }
        byte[] data = in.readNBytes(len);
        in.readNBytes(2);
        return new String(data, StandardCharsets.UTF_8);
      }
      case '*': {
        int n = Integer.parseInt(line);
        if (n < 0) {
          return null;
        }
        List<Object> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          try {
            items.add(read(in));
          } catch (RedisError e) {
            items.add(e);
          }
        }
        return Collections.unmodifiableList(items);
      }
      default:
        throw new IOException("unexpected RESP type '" + (char) type + "'");
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\r') {
        in.read();
        break;
      }
      b.write(c);
    }
    return b.toString(StandardCharsets.UTF_8);
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A data port whose cluster bus port (port + 10000) is free too, right now. */
  static int[] freePortPairForCluster() {
    for (int i = 0; i < 200; i++) {
      int p = ThreadLocalRandom.current().nextInt(20000, 30000);
      if (free(p) && free(p + 10000)) {
        return new int[] {p, p + 10000};
      }
    }
    throw new IllegalStateException("no free port pair found on 127.0.0.1");
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    new SecureRandom().nextBytes(b);
    return b;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The redis-server binary shipped inside the embedded-redis jar. */
  private static final class EmbeddedBinary {
    static synchronized Path extract() {
      String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
      String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
      String name;
      if (os.contains("linux")) {
        name = arch.contains("aarch64") || arch.contains("arm64") ? "redis-server-6.2.7-linux-arm64"
            : arch.contains("86") && !arch.contains("64") ? "redis-server-6.2.7-linux-386"
            : "redis-server-6.2.6-v5-linux-amd64";
      } else if (os.contains("mac") || os.contains("darwin")) {
        name = arch.contains("aarch64") || arch.contains("arm64") ? "redis-server-6.2.6-v5-darwin-arm64"
            : "redis-server-6.2.6-v5-darwin-amd64";
      } else {
        throw new IllegalStateException("no redis-server on PATH and no embedded binary for " + os + "/" + arch
            + "; install Redis");
      }
      try (InputStream in = RedisLauncher.class.getClassLoader().getResourceAsStream(name)) {
        if (in == null) {
          throw new IllegalStateException("no redis-server on PATH and " + name
              + " is missing from the class path (com.github.codemonstur:embedded-redis)");
        }
        Path target = Path.of(System.getProperty("java.io.tmpdir"), "private-egress-" + name);
        if (!Files.isExecutable(target)) {
          Path tmp = Files.createTempFile("private-egress-redis", ".bin");
          Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
          tmp.toFile().setExecutable(true);
          Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        return target;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot extract " + name, e);
      }
    }
  }
}
