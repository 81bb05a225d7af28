package dev.privateegress.redis.internal;

import dev.privateegress.PrivateEgress;
import dev.privateegress.internal.CallRetry;
import dev.privateegress.internal.RetryLoop;
import dev.privateegress.redis.AmbiguousCommandException;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Function;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisConnectionException;

/** The Redis clients the SDK builds: cluster discovery, their retry loops, and {@code PrivateRedis.retrying}. */
public final class RedisClients {
  /** The name of every Redis client's Retry, e.g. for a resilience4j-micrometer tag. */
  public static final String RETRY_NAME = "private-egress-redis";

  /**
   * The loop of each client built by the SDK, by identity and weakly (a client that is dropped is forgotten).
   * Jedis offers no getter for a client's executor on every version the SDK supports, so the client is the key.
   */
  private static final Map<UnifiedJedis, Built> BUILT = Collections.synchronizedMap(new WeakHashMap<>());

  private static final Set<Failures.Kind> NOT_RETRIED = EnumSet.of(Failures.Kind.AUTH,
      Failures.Kind.TOKEN, Failures.Kind.TLS_UNTRUSTED, Failures.Kind.TLS_HOSTNAME, Failures.Kind.TLS_HANDSHAKE,
      Failures.Kind.DNS, Failures.Kind.NOT_A_CLUSTER, Failures.Kind.POOL_EXHAUSTED);

  private RedisClients() {}

  /** A new loop with its resilience4j view, for one client; no I/O. */
  public static RetryLoop newLoop(PrivateEgress egress) {
    RetryConfig informational = RetryConfig.custom()
        .maxAttempts(egress.retryPolicy().maxAttempts())
        .waitDuration(egress.retryPolicy().initialBackoff().isZero() ? Duration.ofMillis(1)
            : egress.retryPolicy().initialBackoff())
        .build();
    return loop(egress, new CallRetry(RETRY_NAME, informational));
  }

  private static RetryLoop loop(PrivateEgress egress, CallRetry view) {
    return new RetryLoop(egress.retryPolicy(), egress::retryBudget, egress::inStartupGrace, egress.listener(), view);
  }

  private record Built(PrivateEgress egress, RetryLoop loop, String target) {}

  /** Records that {@code client} of {@code endpoint} was built on {@code egress} with {@code loop}. */
  public static <C extends UnifiedJedis> C register(C client, PrivateEgress egress, RetryLoop loop,
      Endpoint endpoint) {
    BUILT.put(client, new Built(egress, loop, endpoint.target()));
    return client;
  }

  /** The loop of a client built by the SDK, or null. */
  public static RetryLoop loop(UnifiedJedis client) {
    Built b = BUILT.get(client);
    return b == null ? null : b.loop();
  }

  /** {@code PrivateRedis.retrying}: see there. */
  public static <T> T retrying(PrivateEgress egress, UnifiedJedis redis,
      Function<? super UnifiedJedis, ? extends T> operation) {
    // A client of ours shares its loop (and so its metrics) and its target's budget; any other UnifiedJedis gets
    // a one-off loop on the configured target's budget.
    Built built = BUILT.get(redis);
    // The limits, budgets and listener are those of the egress passed in; the metrics are the client's.
    RetryLoop loop = built == null ? newLoop(egress)
        : built.egress() == egress ? built.loop() : loop(egress, built.loop().view());
    String target = built != null ? built.target()
        : "redis " + egress.config().redis().map(s -> s.host() + ":" + s.port()).orElse("(client)");
    return new RedisCall<T>(loop, target) {
      @Override
      T once() {
        return operation.apply(redis);
      }

      @Override
      Verdict judge(RuntimeException failure, int attempt) {
        if (failure instanceof AmbiguousCommandException || Failures.notReady(failure)) {
          return new Retryable(Failures.shortCause(failure), why -> failure);
        }
        if ((failure instanceof JedisConnectionException || failure instanceof JedisClusterOperationException)
            && !NOT_RETRIED.contains(Failures.classify(failure))) {
          return new Retryable(Failures.shortCause(failure), why -> failure);
        }
        // AUTH, a missing IAM token, TLS and DNS failures, an exhausted pool: another run gets the same answer.
        return new Fatal(failure);
      }
    }.run(null);
  }

  /**
   * Reads a cluster's slot map through {@code seed}.
   *
   * @throws JedisConnectionException when discovery fails; the cause tells connect, AUTH and TLS apart
   */
  public static SafeClusterConnectionProvider discoverCluster(HostAndPort seed, JedisClientConfig config,
      GenericObjectPoolConfig<Connection> pool) {
    try {
      return new SafeClusterConnectionProvider(Set.of(seed), config, pool);
    } catch (JedisClusterOperationException e) {
      // Jedis reports "could not initialize the slots cache"; the cause tells connect from AUTH/TLS.
      Throwable cause = e.getCause() != null ? e.getCause()
          : e.getSuppressed().length > 0 ? e.getSuppressed()[0] : e;
      throw new JedisConnectionException("cluster discovery via " + seed + " failed: " + e.getMessage(), cause);
    }
  }

  /** Gives a cluster provider its connect retries and idle sweep (set once after discovery). */
  public static void initCluster(SafeClusterConnectionProvider provider, ConnectRetrier retrier,
      StaleConnections stale, Duration sweep, int maxTotal) {
    provider.init(retrier, stale, sweep, maxTotal);
  }
}
