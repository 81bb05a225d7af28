package dev.privateegress.testing;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Starts real Redis server processes on free loopback ports, for tests: plain, with a password
 * ({@code requirepass}), with an ACL user, with TLS, and clusters ({@link RedisCluster}).
 *
 * <pre>{@code
 * try (RedisNode redis = RedisLauncher.builder().requirePass("s3cret").start()) {
 *   // connect to redis.host():redis.port()
 * }
 * try (RedisCluster cluster = RedisLauncher.cluster(3).fsyncAlways(true).start()) {
 *   // seed a cluster client with cluster.seed()
 * }
 * }</pre>
 *
 * <p>The binary is {@code redis-server} from {@code PATH} when present, else the one shipped inside
 * the {@code com.github.codemonstur:embedded-redis} jar (extracted to a temporary file). Everything
 * binds to 127.0.0.1; each node gets a fresh temporary directory, deleted on {@link RedisNode#close()}.
 */
public final class RedisLauncher {
  private RedisLauncher() {}

  /** A builder for one standalone node. */
  public static Builder builder() {
    return new Builder();
  }

  /** Starts a plain node: no password, no TLS, no persistence. */
  public static RedisNode startPlain() {
    return builder().start();
  }

  /** A builder for a cluster of {@code masters} master nodes, slots split evenly. */
  public static RedisCluster.Builder cluster(int masters) {
    return new RedisCluster.Builder(masters);
  }

  /**
   * The redis-server executable used: {@code redis-server} on {@code PATH}, else the embedded-redis
   * binary for this OS and architecture.
   */
  public static Path binary() {
    return RedisBinary.redisServer();
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
      try (TlsMaterial tls = TlsMaterial.generate(); RedisNode n = builder().tls(tls).start()) {
        return n.tlsPort() > 0;
      } catch (RuntimeException e) {
        return false;
      }
    }
  }

  /** Options for a standalone node. */
  public static final class Builder {
    private final NodeOptions options = new NodeOptions();

    private Builder() {}

    /** Sets the {@code default} user's password ({@code requirepass}). */
    public Builder requirePass(String password) {
      options.requirePass = Objects.requireNonNull(password, "password");
      return this;
    }

    /** Adds an ACL user with full access ({@code ~* &* +@all}) and this password. */
    public Builder aclUser(String user, String password) {
      options.aclUsers.put(Objects.requireNonNull(user, "user"), Objects.requireNonNull(password, "password"));
      return this;
    }

    /**
     * Also listens for TLS on a second free port ({@link RedisNode#tlsPort()}), with the material's
     * server certificate. Clients are not asked for certificates.
     */
    public Builder tls(TlsMaterial material) {
      options.tls = Objects.requireNonNull(material, "material");
      return this;
    }

    /** Turns on the append-only file so data survives {@link RedisNode#kill()} and restarts. */
    public Builder appendOnly(boolean on) {
      options.appendOnly = on;
      return this;
    }

    /**
     * fsync after every write ({@code appendfsync always}); turns on {@link #appendOnly}. Then a write
     * the server acknowledged survives {@code kill -9}.
     */
    public Builder fsyncAlways(boolean on) {
      options.fsyncAlways = on;
      options.appendOnly |= on;
      return this;
    }

    /**
     * Any other configuration directive, e.g. {@code config("maxmemory", "64mb")} or {@code
     * config("timeout", "1")}. It is passed on the command line, so do not put secrets here: passwords
     * set with {@link #requirePass} and {@link #aclUser} go into a config file instead.
     */
    public Builder config(String name, String... values) {
      options.extra.add("--" + Objects.requireNonNull(name, "name"));
      options.extra.addAll(List.of(values));
      return this;
    }

    /**
     * Starts the node and waits until it answers.
     *
     * @throws IllegalStateException when the server does not start within 15 s; includes its log
     */
    public RedisNode start() {
      return new RedisNode(options.copy(), -1).start();
    }
  }
}
