package dev.privateegress.redis;

import dev.privateegress.ConfigurationException;
import dev.privateegress.PrivateEgress;
import dev.privateegress.RedisSettings;
import dev.privateegress.internal.RetryLoop;
import dev.privateegress.redis.internal.RedisClients;
import io.github.resilience4j.retry.Retry;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.UnifiedJedis;

/**
 * Jedis clients for Memorystore, configured from the Redis variables and safe to use from serverless
 * runtimes.
 *
 * <pre>{@code
 * PrivateEgress egress = PrivateEgress.fromEnvironment();
 * UnifiedJedis redis = PrivateRedis.connect(egress);          // REDISHOST/REDISPORT or REDIS_URL
 * long visits = redis.incr("counter");                         // sent at most once
 * String v = PrivateRedis.retrying(egress, redis, r -> r.get("k"));   // read: retried when ambiguous
 * }</pre>
 *
 * <p>What you get:
 *
 * <ul>
 *   <li>the target from {@code REDIS_URL}, or {@code REDISHOST}/{@code REDISPORT}, with {@code
 *       PRIVATE_EGRESS_HOSTS} applied; {@code REDIS_AUTH} or the URL's {@code user:password}; TLS
 *       against the CAs of {@code REDIS_TLS_CA} with chain and IP-aware name verification always on;
 *       IAM auth ({@code REDIS_IAM_AUTH=true}: user {@code default}, password = the cached access
 *       token, read at each new connection); a cluster client seeded by the discovery endpoint when
 *       {@code REDIS_CLUSTER=true} ({@code RedisClusterClient}; {@code JedisCluster} on Jedis 7.0), else
 *       a pooled client ({@code RedisClient}; {@code JedisPooled} on 7.0);
 *   <li>a small pool (up to 8) with no background threads, opened at the pace it is needed: one
 *       connection at a time, more only while commands keep waiting, one probe connection first after a
 *       failover, and commands that arrive while a connect attempt fails share its outcome instead of
 *       dialling (standalone); waiters served in arrival order; connections idle longer than {@link
 *       Builder#evictAfterIdle} (5 minutes, under the 10-minute VPC connection-tracking limit) are
 *       replaced when next borrowed, without a round trip; every address of the host tried in order;
 *       TCP keepalive on; 2 s connect and 3 s socket timeouts;
 *   <li>commands sent at most once: setting up a connection is retried with backoff (harder during
 *       the startup grace window, within the target's retry budget, {@code redis HOST:PORT}, a cluster's
 *       being its discovery endpoint's); a pooled connection the server closed while idle is replaced
 *       before the command is written; a command refused with {@code LOADING} or {@code CLUSTERDOWN}
 *       (not run) is sent again until the deadline; but when a connection fails after a command was
 *       sent the caller gets {@link AmbiguousCommandException} and nothing is re-sent, in standalone and
 *       cluster mode alike (Jedis' cluster executor would otherwise re-send it). Only {@link #retrying}
 *       re-runs an operation, because the caller says it is idempotent. The retry loops run on the
 *       client's resilience4j {@link Retry} ({@link #retry}), for metrics;
 *   <li>with IAM auth, a token the server refuses forces one token refresh (at most one per {@code
 *       TokenOptions.staleRetryInterval}) and one more connect.
 * </ul>
 *
 * <p>A standalone client does no network I/O until the first command. A cluster client contacts the
 * discovery endpoint while it is built, because Jedis needs the slot map (retried like any connect).
 */
public final class PrivateRedis {
  private PrivateRedis() {}

  /**
   * A client for the configured target with the default settings.
   *
   * @throws ConfigurationException when no Redis variable is set, or REDIS_TLS_CA is unusable
   */
  public static UnifiedJedis connect(PrivateEgress egress) {
    return builder(egress).build();
  }

  /** A builder to change pool and timeout settings before {@link Builder#build()}. */
  public static Builder builder(PrivateEgress egress) {
    return new Builder(egress);
  }

  /**
   * Runs {@code operation} and, when it fails because a connection failed (including {@link
   * AmbiguousCommandException}) or the server was not ready ({@code LOADING}, {@code CLUSTERDOWN}), runs it
   * again with the egress retry policy and the client's budget. Use it only for
   * operations that are harmless to run twice: reads ({@code GET}, {@code HGETALL}), and idempotent
   * writes ({@code SET k v}, {@code DEL}, {@code EXPIRE}, {@code HSET} with fixed values). Never for
   * {@code INCR}, {@code LPUSH} and the like. Redis errors ({@code WRONGTYPE}, AUTH), a missing IAM token,
   * TLS and DNS failures and an exhausted pool are not retried: another run would get the same answer.
   *
   * <pre>{@code
   * String name = PrivateRedis.retrying(egress, redis, r -> r.get("user:42:name"));
   * }</pre>
   */
  public static <T> T retrying(PrivateEgress egress, UnifiedJedis redis, Function<? super UnifiedJedis, ? extends T> operation) {
    Objects.requireNonNull(egress, "egress");
    Objects.requireNonNull(redis, "redis");
    Objects.requireNonNull(operation, "operation");
    return RedisClients.retrying(egress, redis, operation);
  }

  /**
   * The resilience4j {@link Retry} of a client built by this class, e.g. for {@code
   * TaggedRetryMetrics.ofRetryRegistry(...)} from resilience4j-micrometer (add the client's Retry to a
   * {@code RetryRegistry}). Its metrics mean what {@code PrivateHttp.retry}'s do: each logical call that entered
   * the SDK's retry loop (a command whose first try failed: a connection set-up or a not-ready reply; each {@link
   * #retrying} call) counts once, succeeded or failed, with retry when the SDK retried it at least once; a call
   * that retried and gave up is one failed call with retry. A command inside {@link #retrying} is part of that
   * call. A command that succeeds at its first try does not reach it (that path allocates nothing); count those
   * with {@code EgressListener.callEnded}. Its event publisher reports every retry.
   *
   * @throws IllegalArgumentException when the client was not built by {@link #connect} or {@link
   *     Builder#build()}
   */
  public static Retry retry(UnifiedJedis client) {
    Objects.requireNonNull(client, "client");
    RetryLoop loop = RedisClients.loop(client);
    if (loop == null) {
      throw new IllegalArgumentException("this UnifiedJedis was not built by PrivateRedis.connect or "
          + "PrivateRedis.builder(...).build(), so it has no SDK retry");
    }
    return loop.view();
  }

  /**
   * Pool, timeout and cluster settings. Defaults suit serverless runtimes; each can be changed.
   */
  public static final class Builder {
    private final PrivateEgress egress;
    private int maxTotal = 8;
    private int maxIdle = -1;
    private int minIdle = 0;
    private Duration maxWait = Duration.ofSeconds(2);
    private Duration connectTimeout = Duration.ofSeconds(2);
    private Duration socketTimeout = Duration.ofSeconds(3);
    private Duration validateIdleEvery = Duration.ofSeconds(30);
    private Duration evictAfterIdle = Duration.ofMinutes(5);
    private boolean testOnBorrow;
    private boolean backgroundEviction;
    private String clientName;
    private int maxRedirects = 5;
    private Consumer<GenericObjectPoolConfig<Connection>> poolCustomizer = c -> {};

    private Builder(PrivateEgress egress) {
      this.egress = Objects.requireNonNull(egress, "egress");
    }

    /** Most connections per pool (per node in a cluster); default 8. */
    public Builder maxTotal(int n) {
      this.maxTotal = positive("maxTotal", n);
      return this;
    }

    /** Most idle connections kept; default = {@link #maxTotal}. */
    public Builder maxIdle(int n) {
      this.maxIdle = positive("maxIdle", n);
      return this;
    }

    /** Idle connections to keep even when unused; default 0 (serverless instances come and go). */
    public Builder minIdle(int n) {
      if (n < 0) {
        throw new IllegalArgumentException("minIdle must be >= 0, was " + n);
      }
      this.minIdle = n;
      return this;
    }

    /**
     * How long a command waits for a free pooled connection when none is returned meanwhile; default 2 s.
     * While connections keep coming back to the commands ahead of it, it waits on, up to the retry
     * policy's deadline.
     */
    public Builder maxWait(Duration d) {
      this.maxWait = positive("maxWait", d);
      return this;
    }

    /** TCP connect timeout; default 2 s. */
    public Builder connectTimeout(Duration d) {
      this.connectTimeout = positive("connectTimeout", d);
      return this;
    }

    /** How long a command waits for its reply; default 3 s. */
    public Builder socketTimeout(Duration d) {
      this.socketTimeout = positive("socketTimeout", d);
      return this;
    }

    /**
     * At most this often, the next command first closes the connections idle longer than {@link
     * #evictAfterIdle}, on its own thread and without any round trip; default 30 s. With {@link
     * #backgroundEviction} it is also the evictor thread's period.
     */
    public Builder validateIdleEvery(Duration d) {
      this.validateIdleEvery = positive("validateIdleEvery", d);
      return this;
    }

    /**
     * Idle connections older than this are closed without a round trip; default 5 minutes. Keep it
     * under 10 minutes: VPC connectors and Direct VPC drop idle flows after that, silently.
     */
    public Builder evictAfterIdle(Duration d) {
      this.evictAfterIdle = positive("evictAfterIdle", d);
      return this;
    }

    /** PING every connection at every borrow (one extra round trip per command); default off. */
    public Builder testOnBorrow(boolean on) {
      this.testOnBorrow = on;
      return this;
    }

    /**
     * Run commons-pool's evictor thread every {@link #validateIdleEvery} instead of the sweep by the
     * next command: it closes idle-expired connections and PINGs the other idle ones (closing those that
     * do not answer). Off by default: on Cloud Run the CPU is throttled between requests, so background
     * work stalls. Turn it on for always-allocated CPU if idle connections must be pruned and validated
     * while idle. Commands never PING idle connections themselves: a black-holed node would stall them.
     */
    public Builder backgroundEviction(boolean on) {
      this.backgroundEviction = on;
      return this;
    }

    /** {@code CLIENT SETNAME} for every connection, visible in {@code CLIENT LIST}. */
    public Builder clientName(String name) {
      this.clientName = Objects.requireNonNull(name, "name");
      return this;
    }

    /** Cluster only: how many MOVED/ASK redirects one command may follow; default 5. */
    public Builder maxRedirects(int n) {
      this.maxRedirects = positive("maxRedirects", n);
      return this;
    }

    /** Last word on the pool configuration (applied after the settings above). */
    public Builder poolConfig(Consumer<GenericObjectPoolConfig<Connection>> customizer) {
      this.poolCustomizer = Objects.requireNonNull(customizer, "customizer");
      return this;
    }

    /**
     * Builds the client.
     *
     * @throws ConfigurationException when no Redis target is configured or REDIS_TLS_CA holds no
     *     certificate
     */
    public UnifiedJedis build() {
      RedisSettings s = egress.config().redis().orElseThrow(() -> new ConfigurationException("REDIS_URL", null,
          "no Redis target configured: set REDISHOST (and REDISPORT, default 6379) to the Memorystore "
              + "instance's IP, or REDIS_URL=redis://host:port (rediss://host:6378 for TLS); optionally "
              + "REDIS_AUTH, REDIS_TLS_CA, REDIS_IAM_AUTH=true, REDIS_CLUSTER=true"));
      return RedisClients.build(egress, s, new RedisClients.Options(maxTotal, maxIdle, minIdle, maxWait,
          connectTimeout, socketTimeout, validateIdleEvery, evictAfterIdle, testOnBorrow, backgroundEviction,
          clientName, maxRedirects, poolCustomizer));
    }

    private static int positive(String name, int n) {
      if (n < 1) {
        throw new IllegalArgumentException(name + " must be >= 1, was " + n);
      }
      return n;
    }

    private static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, was " + d);
      }
      return d;
    }
  }
}
