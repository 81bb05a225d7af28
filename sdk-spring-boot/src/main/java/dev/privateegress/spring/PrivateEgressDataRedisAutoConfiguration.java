package dev.privateegress.spring;

import dev.privateegress.PrivateEgress;
import dev.privateegress.RedisSettings;
import dev.privateegress.redis.PrivateRedis;
import dev.privateegress.redis.internal.Endpoint;
import dev.privateegress.redis.internal.IamCredentialsProvider;
import dev.privateegress.redis.internal.RedisTls;
import dev.privateegress.spring.internal.NoResendClusterConnectionFactory;
import dev.privateegress.spring.internal.OnRedisTargetCondition;
import dev.privateegress.spring.internal.RedisTopologyException;
import dev.privateegress.spring.internal.SpringVariables;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLParameters;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.boot.data.redis.autoconfigure.JedisClientConfigurationBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.data.redis.connection.RedisSentinelConfiguration;
import org.springframework.data.redis.connection.RedisStaticMasterReplicaConfiguration;
import org.springframework.data.redis.connection.jedis.JedisClientConfigBuilderCustomizer;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;

/**
 * One Redis for the SDK's {@code UnifiedJedis} and Spring Data Redis: Boot's {@link DataRedisConnectionDetails}
 * ({@code spring.data.redis.*}, {@code @ServiceConnection}, Docker Compose) configures the SDK when the SDK's
 * own variables name no Redis; the SDK's variables ({@code private-egress.redis.*}, {@code REDIS_*}) become the
 * connection details when {@code spring.data.redis.*} is unset; and Spring Data Redis' {@link
 * JedisConnectionFactory} gets the SDK's IAM credentials provider (a fresh token per new connection) and its
 * TLS (the {@code REDIS_TLS_CA} or Memorystore server CA, unless an SSL bundle is set); in cluster mode it
 * does not re-send a command whose connection failed after it was written ({@code NoResendClusterConnectionFactory}).
 */
@AutoConfiguration(after = PrivateEgressAutoConfiguration.class,
    beforeName = "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration")
@ConditionalOnClass({DataRedisConnectionDetails.class, PrivateRedis.class, PrivateEgress.class})
public final class PrivateEgressDataRedisAutoConfiguration {
  private static final String[] REDIS_VARIABLES = {"REDIS_URL", "REDISHOST"};

  PrivateEgressDataRedisAutoConfiguration() {}

  /** Boot's connection details configure the SDK when the SDK's own variables name no Redis. */
  @Bean
  PrivateEgressBuilderCustomizer privateEgressRedisFromConnectionDetails(Environment environment,
      ObjectProvider<DataRedisConnectionDetails> details, ObjectProvider<RedisSentinelConfiguration> sentinel,
      ObjectProvider<RedisStaticMasterReplicaConfiguration> masterReplica) {
    return builder -> {
      SpringVariables variables = SpringVariables.of(environment);
      for (String v : REDIS_VARIABLES) {
        if (variables.value(v) != null) {
          return; // the SDK's own setting; and then the details bean may be ours, built from it
        }
      }
      // The application's own topology beans win over the details in Boot's Data Redis configuration.
      if (sentinel.getIfAvailable() != null) {
        throw new RedisTopologyException("Redis Sentinel", "a RedisSentinelConfiguration bean");
      }
      if (masterReplica.getIfAvailable() != null) {
        throw new RedisTopologyException("static master/replica", "a RedisStaticMasterReplicaConfiguration bean");
      }
      DataRedisConnectionDetails d = details.getIfUnique();
      if (d == null) {
        return;
      }
      boolean properties = d.getClass().getSimpleName().equals("PropertiesDataRedisConnectionDetails");
      // As Boot picks the mode: sentinel, then cluster, then master/replica, then standalone.
      if (d.getSentinel() != null) {
        throw new RedisTopologyException("Redis Sentinel", properties
            ? "spring.data.redis.sentinel.master=" + d.getSentinel().getMaster() + ", spring.data.redis.sentinel.nodes"
            : "the sentinel of " + d.getClass().getName());
      }
      if (d.getCluster() == null && d.getMasterReplica() != null) {
        throw new RedisTopologyException("static master/replica", properties ? "spring.data.redis.masterreplica.nodes"
            : "the master/replica nodes of " + d.getClass().getName());
      }
      // Boot's details from properties default to localhost:6379: taken only when spring.data.redis.* is set.
      if (properties && OnRedisTargetCondition.springDataRedisTarget(environment) == null) {
        return;
      }
      String url = url(d);
      if (url == null) {
        return;
      }
      builder.redisUrl(url);
      if (d.getCluster() != null) {
        builder.redisCluster(true);
      }
    };
  }

  /** The SDK's Redis as Boot's connection details, when {@code spring.data.redis.*} names none. */
  @Bean
  @ConditionalOnMissingBean(DataRedisConnectionDetails.class)
  @Conditional(SdkRedisTargetOnly.class)
  DataRedisConnectionDetails privateEgressDataRedisConnectionDetails(PrivateEgress egress) {
    RedisSettings s = egress.config().redis().orElseThrow();
    Endpoint ep = Endpoint.of(s, egress.config().hostOverrides());
    return new SdkConnectionDetails(s, ep);
  }

  /**
   * Spring Data Redis' Jedis connections get the SDK's IAM credentials and TLS; in cluster mode its {@code
   * JedisCluster} does not send a command again after a connection failed once it was written.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({JedisConnectionFactory.class, JedisClientConfigurationBuilderCustomizer.class})
  static class Jedis {
    /**
     * Boot's cluster {@link JedisConnectionFactory} becomes a {@code NoResendClusterConnectionFactory} before it
     * starts. Only Boot's own bean (a factory the application defines is its own choice), and only in cluster
     * mode: a standalone Jedis connection never re-sends.
     */
    @Bean
    static BeanPostProcessor privateEgressClusterWithoutResend() {
      return new BeanPostProcessor() {
        @Override
        public Object postProcessBeforeInitialization(Object bean, String name) {
          boolean boot = NoResendClusterConnectionFactory.BOOT_BEAN.equals(name)
              || NoResendClusterConnectionFactory.BOOT_VIRTUAL_THREADS_BEAN.equals(name);
          if (boot && bean.getClass() == JedisConnectionFactory.class
              && ((JedisConnectionFactory) bean).isRedisClusterAware()) {
            return NoResendClusterConnectionFactory.of((JedisConnectionFactory) bean,
                NoResendClusterConnectionFactory.BOOT_VIRTUAL_THREADS_BEAN.equals(name));
          }
          return bean;
        }
      };
    }

    @Bean
    JedisClientConfigurationBuilderCustomizer privateEgressJedisClientConfiguration(PrivateEgress egress,
        ObjectProvider<DataRedisConnectionDetails> details) {
      return builder -> egress.config().redis().ifPresent(s -> {
        Endpoint ep = Endpoint.of(s, egress.config().hostOverrides());
        DataRedisConnectionDetails d = details.getIfUnique();
        boolean bundle = d != null && d.getSslBundle() != null;
        // Spring Data Redis keeps one config customizer: the application's, set before (its beans come first), runs
        // first, then the SDK's, instead of being replaced by it.
        JedisClientConfigBuilderCustomizer application = builder.build().getCustomizer().orElse(null);
        builder.customize(b -> {
          if (application != null) {
            application.customize(b);
          }
          if (s.iamAuth()) {
            b.credentialsProvider(new IamCredentialsProvider(egress.tokens()));
          }
          if (s.tls() && !bundle) {
            Set<String> alsoAccept = ep.connectHost().equals(ep.host()) ? Set.of() : Set.of(ep.host());
            b.ssl(true).sslSocketFactory(RedisTls.socketFactory(s.caFile().orElse(null), alsoAccept))
                .sslParameters(new SSLParameters());
          }
        });
      });
    }
  }

  /** The SDK's variables name a Redis and {@code spring.data.redis.*} names none. */
  static final class SdkRedisTargetOnly extends SpringBootCondition {
    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
      String spring = OnRedisTargetCondition.springDataRedisTarget(context.getEnvironment());
      if (spring == null) {
        Binder binder = Binder.get(context.getEnvironment());
        for (String topology : new String[] {"spring.data.redis.sentinel.master", "spring.data.redis.sentinel.nodes",
            "spring.data.redis.masterreplica.nodes"}) {
          if (binder.bind(topology, Bindable.listOf(String.class)).isBound()) {
            spring = topology; // Spring Data Redis' own topology: the start-up refuses it, naming it
          }
        }
      }
      if (spring != null) {
        return ConditionOutcome.noMatch(spring + " is set");
      }
      SpringVariables variables = SpringVariables.of(context.getEnvironment());
      for (String v : REDIS_VARIABLES) {
        if (variables.value(v) != null) {
          return ConditionOutcome.match(v + " names the Redis");
        }
      }
      return ConditionOutcome.noMatch("neither REDIS_URL nor REDISHOST is set");
    }
  }

  /** {@code redis(s)://user:password@host:port/db} from Boot's standalone details, a cluster's first node, or null. */
  static String url(DataRedisConnectionDetails d) {
    String host;
    int port;
    int database = 0;
    if (d.getCluster() != null && !d.getCluster().getNodes().isEmpty()) { // Boot's standalone details are never null
      host = d.getCluster().getNodes().get(0).host();
      port = d.getCluster().getNodes().get(0).port();
    } else if (d.getStandalone() == null) {
      return null;
    } else {
      host = d.getStandalone().getHost();
      port = d.getStandalone().getPort();
      database = d.getStandalone().getDatabase();
    }
    StringBuilder b = new StringBuilder(d.getSslBundle() != null ? "rediss://" : "redis://");
    if (d.getPassword() != null) {
      if (d.getUsername() != null) {
        b.append(encode(d.getUsername()));
      }
      b.append(':').append(encode(d.getPassword())).append('@');
    }
    b.append(host.contains(":") ? "[" + host + "]" : host).append(':').append(port);
    return database == 0 ? b.toString() : b.append('/').append(database).toString();
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** The SDK's Redis target; the password is null under IAM auth (the credentials provider sends tokens). */
  private static final class SdkConnectionDetails implements DataRedisConnectionDetails {
    private final RedisSettings s;
    private final Endpoint ep;

    SdkConnectionDetails(RedisSettings s, Endpoint ep) {
      this.s = s;
      this.ep = ep;
    }

    @Override
    public String getUsername() {
      return s.iamAuth() ? null : s.username().orElse(null);
    }

    @Override
    public String getPassword() {
      return s.iamAuth() ? null : s.password().orElse(null);
    }

    @Override
    public Standalone getStandalone() {
      return s.cluster() ? null : Standalone.of(ep.connectHost(), ep.port(), s.database());
    }

    @Override
    public Cluster getCluster() {
      return s.cluster() ? () -> List.of(new Node(ep.connectHost(), ep.port())) : null;
    }

    @Override
    public String toString() {
      return "SdkConnectionDetails{" + ep + "}"; // Endpoint shows no secret
    }
  }
}
