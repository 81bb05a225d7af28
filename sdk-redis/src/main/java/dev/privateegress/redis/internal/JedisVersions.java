package dev.privateegress.redis.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Set;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.builders.AbstractClientBuilder;
import redis.clients.jedis.builders.ClusterClientBuilder;
import redis.clients.jedis.builders.StandaloneClientBuilder;
import redis.clients.jedis.executors.CommandExecutor;
import redis.clients.jedis.providers.ConnectionProvider;

/**
 * The few places where Jedis 7.0 (Spring Boot 4.0's managed version), 7.4 (Boot 4.1) and 8.x differ for
 * the SDK. The SDK is compiled against 8.x and makes the same choice on every version: connections speak
 * RESP2 after a plain {@code AUTH}, with no {@code HELLO} (Memorystore for Redis still runs versions older
 * than 6, which lack {@code HELLO}; RESP3 brings nothing the SDK uses).
 */
public final class JedisVersions {
  /** Jedis 8's {@code autoNegotiateProtocol(boolean)}; null before 8, where no negotiation happens. */
  private static final MethodHandle AUTO_NEGOTIATE = autoNegotiate();

  /** {@code Connection.getHostAndPort()}: public in 8; null before, where it is package-private. */
  private static final MethodHandle HOST_AND_PORT = hostAndPort();

  private JedisVersions() {}

  /**
   * Connections made with this config send a plain {@code AUTH} and speak RESP2: Jedis 8 negotiates RESP3
   * with {@code HELLO} unless told not to, Jedis 7 never does.
   */
  public static DefaultJedisClientConfig.Builder plainResp2(DefaultJedisClientConfig.Builder b) {
    if (AUTO_NEGOTIATE != null) {
      try {
        AUTO_NEGOTIATE.invoke(b, false);
      } catch (Throwable e) {
        throw new IllegalStateException("cannot turn off Jedis' protocol negotiation", e);
      }
    }
    return b;
  }

  /** A standalone client over the SDK's provider and executor: {@code RedisClient} from 7.4, {@code JedisPooled} in 7.0. */
  public static UnifiedJedis standalone(HostAndPort seed, JedisClientConfig config, ConnectionProvider provider,
      CommandExecutor executor) {
    return build(standaloneBuilder().hostAndPort(seed).clientConfig(config).connectionProvider(provider).commandExecutor(executor));
  }

  /** A cluster client: {@code RedisClusterClient} from 7.4, {@code JedisCluster} in 7.0. */
  public static UnifiedJedis cluster(HostAndPort seed, JedisClientConfig config, ConnectionProvider provider,
      CommandExecutor executor) {
    return build(clusterBuilder().nodes(Set.of(seed)).clientConfig(config).connectionProvider(provider).commandExecutor(executor));
  }

  /** The standalone client builder of the Jedis on the class path. */
  public static StandaloneClientBuilder<?> standaloneBuilder() {
    return (StandaloneClientBuilder<?>) builder("RedisClient", "JedisPooled");
  }

  /** The cluster client builder of the Jedis on the class path. */
  public static ClusterClientBuilder<?> clusterBuilder() {
    return (ClusterClientBuilder<?>) builder("RedisClusterClient", "JedisCluster");
  }

  /** The node a connection is open to, for messages (the starter's cluster connections, made by Jedis). */
  public static String node(Connection connection) {
    if (HOST_AND_PORT == null) {
      return connection.toIdentityString();
    }
    try {
      return String.valueOf(HOST_AND_PORT.invoke(connection));
    } catch (Throwable e) {
      return connection.toIdentityString();
    }
  }

  private static UnifiedJedis build(AbstractClientBuilder<?, ?> b) {
    return (UnifiedJedis) b.build();
  }

  private static Object builder(String since74, String before74) {
    for (String name : new String[] {since74, before74}) {
      Class<?> type;
      try {
        type = Class.forName("redis.clients.jedis." + name, false, UnifiedJedis.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        continue;
      }
      try {
        return type.getMethod("builder").invoke(null);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot create a Jedis " + name + " builder", e);
      }
    }
    throw new IllegalStateException("neither redis.clients.jedis." + since74 + " nor " + before74
        + " is on the class path: the SDK needs Jedis 7.0 or later");
  }

  private static MethodHandle autoNegotiate() {
    try {
      return MethodHandles.publicLookup().findVirtual(DefaultJedisClientConfig.Builder.class,
          "autoNegotiateProtocol", MethodType.methodType(DefaultJedisClientConfig.Builder.class, boolean.class));
    } catch (NoSuchMethodException | IllegalAccessException e) {
      return null;
    }
  }

  private static MethodHandle hostAndPort() {
    try {
      return MethodHandles.publicLookup().findVirtual(Connection.class, "getHostAndPort",
          MethodType.methodType(HostAndPort.class));
    } catch (NoSuchMethodException | IllegalAccessException e) {
      return null; // Jedis 7: not public; messages name the connection by its identity string instead
    }
  }
}
