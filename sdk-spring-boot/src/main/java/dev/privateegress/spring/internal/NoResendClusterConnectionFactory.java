package dev.privateegress.spring.internal;

import dev.privateegress.redis.AmbiguousCommandException;
import dev.privateegress.redis.internal.JedisVersions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.data.redis.RedisConnectionFailureException;
import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.RedisNode;
import org.springframework.data.redis.connection.jedis.JedisClientConfiguration;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.executors.ClusterCommandExecutor;
import redis.clients.jedis.providers.ClusterConnectionProvider;

/**
 * Spring Data Redis' {@link JedisConnectionFactory} in cluster mode, whose {@link JedisCluster} never sends a
 * command again after its connection failed once it was written.
 *
 * <p>Jedis' cluster executor re-sends a command after any connection failure, up to {@code maxAttempts}
 * ({@code spring.data.redis.cluster.max-redirects}, default 5) times: an {@code INCR} whose reply was lost is
 * applied twice or more (redis/jedis#1812). Spring Data Redis offers no setting against it, and a smaller
 * {@code max-redirects} also stops MOVED and ASK from being followed. Here the executor is Jedis' own (slot
 * routing, MOVED/ASK, a connection that could not be opened tried again with the slot map renewed) except that
 * a failure on a written command ends the call as a {@link RedisConnectionFailureException} whose cause is the
 * SDK's {@link AmbiguousCommandException}: the command may have run.
 */
public final class NoResendClusterConnectionFactory extends JedisConnectionFactory {
  /** The name of the factory bean Boot's {@code JedisConnectionConfiguration} defines on platform threads. */
  public static final String BOOT_BEAN = "redisConnectionFactory";
  /** The name of the one it defines instead with {@code spring.threads.virtual.enabled=true}. */
  public static final String BOOT_VIRTUAL_THREADS_BEAN = "redisConnectionFactoryVirtualThreads";

  private NoResendClusterConnectionFactory(RedisClusterConfiguration cluster, JedisClientConfiguration client) {
    super(cluster, client);
  }

  /**
   * The same factory as {@code boot}, not yet initialized, with the executor above. Boot sets nothing on its
   * factory but what the getters read back, and a virtual-thread executor on {@link #BOOT_VIRTUAL_THREADS_BEAN},
   * which has no getter: that one is made again here as Boot makes it.
   */
  public static NoResendClusterConnectionFactory of(JedisConnectionFactory boot, boolean virtualThreads) {
    RedisClusterConfiguration cluster = boot.getClusterConfiguration();
    if (cluster == null) {
      throw new IllegalArgumentException("not a cluster connection factory: " + boot);
    }
    NoResendClusterConnectionFactory f = new NoResendClusterConnectionFactory(cluster, boot.getClientConfiguration());
    f.setPhase(boot.getPhase());
    f.setAutoStartup(boot.isAutoStartup());
    f.setEarlyStartup(boot.isEarlyStartup());
    f.setConvertPipelineAndTxResults(boot.getConvertPipelineAndTxResults());
    if (virtualThreads) {
      SimpleAsyncTaskExecutor executor = new SimpleAsyncTaskExecutor("redis-");
      executor.setVirtualThreads(true);
      f.setExecutor(executor);
    }
    return f;
  }

  @Override
  @SuppressWarnings("deprecation") // JedisCluster (deprecated in Jedis 8) is what Spring Data Redis 4 runs on
  protected JedisCluster createCluster(RedisClusterConfiguration config, GenericObjectPoolConfig<Connection> pool) {
    Set<HostAndPort> nodes = new HashSet<>();
    for (RedisNode node : config.getClusterNodes()) {
      nodes.add(new HostAndPort(node.getRequiredHost(), node.getRequiredPort()));
    }
    int attempts = config.getMaxRedirects() != null ? config.getMaxRedirects() : 5; // as JedisConnectionFactory
    JedisClientConfig client = clientConfig(config);
    ClusterConnectionProvider provider = pool == null ? new ClusterConnectionProvider(nodes, client)
        : new ClusterConnectionProvider(nodes, client, pool);
    Duration total = Duration.ofMillis((long) client.getSocketTimeoutMillis() * attempts); // as JedisCluster
    return JedisCluster.builder().nodes(nodes).clientConfig(client).connectionProvider(provider)
        .commandExecutor(new NoResendExecutor(provider, attempts, total)).build();
  }

  /** What JedisConnectionFactory builds for its cluster (its own method is private): the same settings. */
  @SuppressWarnings("deprecation") // the SSL setters Spring Data Redis 4 itself calls
  private JedisClientConfig clientConfig(RedisClusterConfiguration config) {
    JedisClientConfiguration c = getClientConfiguration();
    DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder();
    c.getClientName().ifPresent(b::clientName);
    b.connectionTimeoutMillis(Math.toIntExact(c.getConnectTimeout().toMillis()));
    b.socketTimeoutMillis(Math.toIntExact(c.getReadTimeout().toMillis()));
    b.database(getDatabase());
    if (config.getUsername() != null && !config.getUsername().isEmpty()) {
      b.user(config.getUsername());
    }
    config.getPassword().toOptional().map(String::new).ifPresent(b::password);
    if (c.isUseSsl()) {
      b.ssl(true);
      c.getSslSocketFactory().ifPresent(b::sslSocketFactory);
      c.getHostnameVerifier().ifPresent(b::hostnameVerifier);
      c.getSslParameters().ifPresent(b::sslParameters);
    }
    c.getCustomizer().ifPresent(customizer -> customizer.customize(b));
    return b.build();
  }

  /** Jedis' cluster executor minus the re-send of a command written on a connection that then failed. */
  static final class NoResendExecutor extends ClusterCommandExecutor {
    @SuppressWarnings("deprecation") // the constructor Jedis 7.0 has too
    NoResendExecutor(ClusterConnectionProvider provider, int maxAttempts, Duration maxTotalRetriesDuration) {
      super(provider, maxAttempts, maxTotalRetriesDuration);
    }

    @Override
    protected <T> T execute(Connection connection, CommandObject<T> command) {
      try {
        return connection.executeCommand(command);
      } catch (JedisConnectionException e) {
        // Not a JedisConnectionException, which Jedis' loop would catch and send again.
        String name = new String(command.getArguments().getCommand().getRaw(), StandardCharsets.US_ASCII);
        String message = "the connection to Redis cluster node " + JedisVersions.node(connection) + " failed after "
            + name + " was sent, so it may have run; it was not sent again (Jedis would have: redis/jedis#1812)."
            + " Run it again only where running it twice is harmless.";
        throw new RedisConnectionFailureException(message, new AmbiguousCommandException(name, message, e));
      }
    }
  }
}
