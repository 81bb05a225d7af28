package dev.privateegress.redis.internal;

import dev.privateegress.PrivateEgress;
import dev.privateegress.RedisSettings;
import dev.privateegress.RetryBudget;
import dev.privateegress.internal.CallRetry;
import dev.privateegress.internal.RetryLoop;
import dev.privateegress.redis.AmbiguousCommandException;
import dev.privateegress.redis.internal.Endpoint.EndpointSocketFactory;
import dev.privateegress.redis.internal.PacedConnectionProvider.IdleMaintenance;
import io.github.resilience4j.retry.RetryConfig;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.net.ssl.SSLParameters;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisProtocol;
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
  private static RetryLoop newLoop(PrivateEgress egress) {
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
  private static <C extends UnifiedJedis> C register(C client, PrivateEgress egress, RetryLoop loop,
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
  private static SafeClusterConnectionProvider discoverCluster(HostAndPort seed, JedisClientConfig config) {
    try {
      return new SafeClusterConnectionProvider(seed, config);
    } catch (JedisClusterOperationException e) {
      // Jedis reports "could not initialize the slots cache"; the cause tells connect from AUTH/TLS.
      Throwable cause = e.getCause() != null ? e.getCause()
          : e.getSuppressed().length > 0 ? e.getSuppressed()[0] : e;
      throw new JedisConnectionException("cluster discovery via " + seed + " failed: " + e.getMessage(), cause);
    }
  }

  /** The settings of {@code PrivateRedis.Builder}, validated there. */
  public record Options(int maxTotal, int maxIdle, int minIdle, Duration maxWait, Duration connectTimeout,
      Duration socketTimeout, Duration validateIdleEvery, Duration evictAfterIdle, boolean testOnBorrow,
      boolean backgroundEviction, String clientName, int maxRedirects,
      Consumer<GenericObjectPoolConfig<Connection>> poolCustomizer) {}

  /**
   * A standalone or cluster client for {@code s} over the SDK's pool, executor and retry loop ({@code
   * PrivateRedis.Builder.build}); a cluster's slot map is read here, a standalone client does no I/O.
   */
  public static UnifiedJedis build(PrivateEgress egress, RedisSettings s, Options o) {
    Endpoint ep = Endpoint.of(s, egress.config().hostOverrides());
    IamCredentialsProvider iam = s.iamAuth() ? new IamCredentialsProvider(egress.tokens()) : null;
    DefaultJedisClientConfig.Builder configured = clientConfig(s, ep, iam, o);
    JedisClientConfig config = configured.build();
    // UnifiedJedis borrows a connection in its constructor to learn the protocol unless the config names
    // one. Naming it keeps build() free of network I/O, and keeps the reply parsers matched to what the
    // connections speak: a client built while Redis was unreachable used to parse RESP2 while its later
    // connections negotiated RESP3 (ZRANGE WITHSCORES then failed with a ClassCastException).
    JedisClientConfig clientFacing = configured.protocol(RedisProtocol.RESP2).build();
    GenericObjectPoolConfig<Connection> pool = poolConfig(o);
    // One target for events, retries and the budget: the endpoint, or for a cluster its discovery
    // endpoint, so a cluster spends one budget whichever node failed.
    CommandEvents events = CommandEvents.of(egress, ep.target(), s.database(), ep.host(), ep.port());
    RetryLoop loop = newLoop(egress);
    ConnectRetrier retrier = new ConnectRetrier(egress, loop, ep, events, iam, o.maxTotal(), o.maxWait());
    RetryBudget budget = egress.retryBudget(ep.target());
    Duration sweep = o.validateIdleEvery().compareTo(o.evictAfterIdle()) < 0 ? o.validateIdleEvery()
        : o.evictAfterIdle();
    HostAndPort seed = new HostAndPort(ep.connectHost(), ep.port());
    String auth = iam != null ? "iam" : s.password().isPresent() ? "password" : "none";
    if (s.cluster()) {
      SafeClusterConnectionProvider provider = retrier.acquire(ep.label(), null,
          () -> discoverCluster(seed, config), null, ConnectRetrier::asConnectionException);
      // Each node's pool as the standalone one below: the SDK's sockets to the node, traced, paced.
      Map<String, List<InetAddress>> overrides = egress.config().hostOverrides();
      provider.init(retrier, node -> {
        List<InetAddress> mapped = overrides.getOrDefault(node.getHost().toLowerCase(Locale.ROOT), List.of());
        EndpointSocketFactory sockets = new EndpointSocketFactory(
            mapped.isEmpty() ? () -> EndpointSocketFactory.resolve(node.getHost()) : () -> mapped, node,
            "cluster node " + node + " of " + ep.label(), millis(o.connectTimeout()), millis(o.socketTimeout()),
            config.isSsl() ? config.getSslSocketFactory() : null, config.getSslParameters(),
            mapped.isEmpty() ? node.getHost() : null);
        return paced(egress, config, sockets, pool, o, retrier, events, node, auth);
      }, sweep);
      SafeClusterConnectionProvider.Executor executor = new SafeClusterConnectionProvider.Executor(provider, o.maxRedirects(),
          egress.retryPolicy().deadline(), budget, retrier, o.maxTotal());
      return register(JedisVersions.cluster(seed, clientFacing, provider, executor), egress, loop, ep);
    }
    // Every address of the endpoint, in order, within the connect timeout; TLS as configured above.
    EndpointSocketFactory sockets = new EndpointSocketFactory(ep::addresses, new HostAndPort(ep.host(), ep.port()),
        ep.label(), millis(o.connectTimeout()), millis(o.socketTimeout()),
        config.isSsl() ? config.getSslSocketFactory() : null, config.getSslParameters(),
        ep.mapped() ? null : ep.host());
    PacedConnectionProvider provider = paced(egress, config, sockets, pool, o, retrier, events,
        new HostAndPort(ep.host(), ep.port()), auth);
    retrier.pool(provider.getPool());
    // The pool checks every connection it hands out (commands, pipelines, transactions alike): the executor
    // keeps no record of its own.
    IdleMaintenance maintenance = new IdleMaintenance(() -> List.of(provider.getPool()), sweep, () -> {});
    SafeStandaloneExecutor executor = new SafeStandaloneExecutor(provider, retrier, maintenance, budget);
    return register(JedisVersions.standalone(seed, clientFacing, provider, executor), egress, loop, ep);
  }

  /** The paced pool of a standalone endpoint or of one cluster node; each new connection traced as to {@code server}. */
  private static PacedConnectionProvider paced(PrivateEgress egress, JedisClientConfig config,
      EndpointSocketFactory sockets, GenericObjectPoolConfig<Connection> pool, Options o, ConnectRetrier retrier,
      CommandEvents events, HostAndPort server, String auth) {
    return PacedConnectionProvider.of(config, sockets, pool, o.evictAfterIdle(), o.testOnBorrow(),
        egress.retryPolicy().initialBackoff(), egress.retryPolicy().deadline(), retrier::connected,
        f -> events.connections(f, server.getHost(), server.getPort(), auth));
  }

  private static DefaultJedisClientConfig.Builder clientConfig(RedisSettings s, Endpoint ep,
      IamCredentialsProvider iam, Options o) {
    // RESP2 with a plain AUTH, as every Redis and Valkey version speaks it (HELLO needs Redis 6+);
    // the connections must not negotiate RESP3 behind the RESP2 parsers of the client.
    DefaultJedisClientConfig.Builder b = JedisVersions.plainResp2(DefaultJedisClientConfig.builder())
        .connectionTimeoutMillis(millis(o.connectTimeout()))
        .socketTimeoutMillis(millis(o.socketTimeout()))
        .database(s.database());
    if (o.clientName() != null) {
      b.clientName(o.clientName());
    }
    if (iam != null) {
      b.credentialsProvider(iam);
    } else if (s.password().isPresent()) {
      b.user(s.username().orElse(null)).password(s.password().get());
    }
    if (s.tls()) {
      Set<String> alsoAccept = ep.connectHost().equals(ep.host()) ? Set.of() : Set.of(ep.host());
      // Our socket factory handshakes and verifies chain + name itself; non-null parameters stop
      // Jedis from adding the JDK's HTTPS check, which rejects Memorystore certificates naming an IP by CN.
      b.ssl(true).sslSocketFactory(RedisTls.socketFactory(s.caFile().orElse(null), alsoAccept))
          .sslParameters(new SSLParameters());
    }
    return b;
  }

  private static GenericObjectPoolConfig<Connection> poolConfig(Options o) {
    GenericObjectPoolConfig<Connection> c = new GenericObjectPoolConfig<>();
    c.setMaxTotal(o.maxTotal());
    c.setMaxIdle(o.maxIdle() < 0 ? o.maxTotal() : o.maxIdle());
    c.setMinIdle(o.minIdle());
    c.setMaxWait(o.maxWait());
    c.setBlockWhenExhausted(true);
    // Not a fair queue: under 16 threads against a fast server it cut throughput to a quarter of raw Jedis
    // (every hand-off wakes one particular thread). A waiter starved past maxWait while connections keep
    // coming back waits on up to the call's deadline instead (PacedConnectionProvider), so a burst of
    // virtual threads still does not fail.
    c.setFairness(false);
    c.setTestOnBorrow(o.testOnBorrow());
    c.setTestOnReturn(false);
    // Validating idle connections means a PING each: only in the evictor thread, never on a request.
    c.setTestWhileIdle(o.backgroundEviction());
    c.setMinEvictableIdleDuration(o.evictAfterIdle());
    c.setNumTestsPerEvictionRun(-1);
    c.setTimeBetweenEvictionRuns(o.backgroundEviction() ? o.validateIdleEvery() : Duration.ofMillis(-1));
    c.setJmxEnabled(false);
    o.poolCustomizer().accept(c);
    return c;
  }

  private static int millis(Duration d) {
    return (int) Math.min(Integer.MAX_VALUE, d.toMillis());
  }
}
