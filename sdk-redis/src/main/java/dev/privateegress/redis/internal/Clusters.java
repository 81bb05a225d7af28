package dev.privateegress.redis.internal;

import java.time.Duration;
import java.util.Set;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisConnectionException;

/** Builds the cluster provider (which reads the slot map from the discovery endpoint). */
public final class Clusters {
  private Clusters() {}

  /**
   * Reads the slot map through {@code seed}.
   *
   * @throws JedisConnectionException when discovery fails; the cause tells connect, AUTH and TLS apart
   */
  public static SafeClusterConnectionProvider discover(HostAndPort seed, JedisClientConfig config,
      GenericObjectPoolConfig<Connection> pool) {
    try {
      return new SafeClusterConnectionProvider(Set.of(seed), config, pool);
    } catch (JedisClusterOperationException e) {
      // Jedis reports "could not initialize the slots cache"; the cause tells connect from AUTH/TLS.
      Throwable cause = e.getCause() != null ? e.getCause()
          : e.getSuppressed().length > 0 ? e.getSuppressed()[0] : e;
      JedisConnectionException c = new JedisConnectionException("cluster discovery via " + seed + " failed: "
          + e.getMessage(), cause);
      throw c;
    }
  }

  /** Gives the provider its connect retries and idle sweep (package-private there, set once after discovery). */
  public static void init(SafeClusterConnectionProvider provider, ConnectRetrier retrier, StaleConnections stale,
      Duration sweep, int maxTotal) {
    provider.init(retrier, stale, sweep, maxTotal);
  }
}
