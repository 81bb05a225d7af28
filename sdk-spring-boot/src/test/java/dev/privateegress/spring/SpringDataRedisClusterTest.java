package dev.privateegress.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.redis.AmbiguousCommandException;
import dev.privateegress.redis.internal.JedisVersions;
import dev.privateegress.spring.internal.NoResendClusterConnectionFactory;
import dev.privateegress.testing.FaultProxy;
import dev.privateegress.testing.RedisCluster;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.JedisClientConfigurationBuilderCustomizer;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.dao.DataAccessException;
import org.springframework.data.redis.RedisConnectionFailureException;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.UnifiedJedis;

/**
 * Spring Data Redis on a real Redis Cluster, configured as a user does ({@code spring.data.redis.cluster.nodes}):
 * a command whose reply is lost after it ran is sent once through the starter, and up to {@code max-redirects}
 * times by Jedis' own cluster client (redis/jedis#1812).
 */
class SpringDataRedisClusterTest {
  private static RedisCluster cluster;
  private static RedisNode b;
  private static FaultProxy proxy;
  private static String key;
  private static String onA;

  @BeforeAll
  static void startCluster() {
    cluster = RedisLauncher.cluster(2).start();
    b = cluster.node(1);
    for (int i = 0; key == null || onA == null; i++) {
      if (cluster.nodeForKey("k" + i) == b) {
        key = "k" + i;
      } else {
        onA = "k" + i;
      }
    }
    // Node b's connections go through the proxy; each forwards the command, then is cut after the first byte of the reply.
    proxy = FaultProxy.start(b.port()).defaultBehavior(FaultProxy.Behavior.cutAfter(1));
  }

  @AfterAll
  static void stop() {
    proxy.close();
    cluster.close();
  }

  @BeforeEach
  void reset() {
    b.command("DEL", key);
    cluster.node(0).command("DEL", onA);
  }

  /** Boot's Data Redis configuration, with or without the starter; node b reached through the proxy. */
  private static ApplicationContextRunner runner(boolean starter) {
    AutoConfigurations configurations = starter
        ? AutoConfigurations.of(PrivateEgressAutoConfiguration.class, PrivateEgressRedisAutoConfiguration.class,
            PrivateEgressDataRedisAutoConfiguration.class, DataRedisAutoConfiguration.class)
        : AutoConfigurations.of(DataRedisAutoConfiguration.class);
    return new ApplicationContextRunner()
        .withConfiguration(configurations)
        .withPropertyValues("spring.data.redis.client-type=jedis", "spring.data.redis.timeout=1s",
            "spring.data.redis.cluster.nodes=" + cluster.seed())
        .withBean("testEnvironment", PrivateEgressBuilderCustomizer.class,
            () -> e -> e.environment(Map.of("NO_GCE_CHECK", "true")).retryPolicy(PrivateEgressAutoConfigurationTest.FAST))
        // The application's own customizer: kept by the starter's, which composes with it.
        .withBean("throughProxy", JedisClientConfigurationBuilderCustomizer.class, () -> builder -> builder.customize(
            c -> JedisVersions.plainResp2(c).clientSetInfoConfig(ClientSetInfoConfig.DISABLED) // nothing before the command
                .hostAndPortMapper(hp -> hp.getPort() == b.port() ? new HostAndPort(hp.getHost(), proxy.port()) : hp)));
  }

  @Test
  void jedisAloneSendsACommandWhoseReplyWasLostUpToMaxRedirectsTimes() {
    runner(false).withPropertyValues("spring.data.redis.cluster.max-redirects=3").run(ctx -> {
      StringRedisTemplate template = ctx.getBean(StringRedisTemplate.class);
      int before = proxy.acceptedConnections();
      assertThatThrownBy(() -> template.opsForValue().increment(key)).isInstanceOf(DataAccessException.class);
      assertThat(b.command("GET", key)).as("one INCR, applied by every attempt").isEqualTo("3");
      assertThat(proxy.acceptedConnections() - before).isGreaterThanOrEqualTo(3);
    });
  }

  @Test
  void throughTheStarterACommandWhoseReplyWasLostIsSentOnce() {
    runner(true).withPropertyValues("spring.data.redis.cluster.max-redirects=3").run(ctx -> {
      assertThat(ctx).hasNotFailed();
      StringRedisTemplate template = ctx.getBean(StringRedisTemplate.class);
      assertThatThrownBy(() -> template.opsForValue().increment(key))
          .isInstanceOf(RedisConnectionFailureException.class)
          .hasMessageContaining("INCR was sent, so it may have run; it was not sent again")
          .hasCauseInstanceOf(AmbiguousCommandException.class);
      assertThat(b.command("GET", key)).as("applied once").isEqualTo("1");
      // Node a, reached directly, serves as usual; so does the SDK's client (not through the proxy).
      assertThat(template.opsForValue().increment(onA)).isEqualTo(1L);
      assertThat(ctx.getBean(UnifiedJedis.class).incr(onA)).isEqualTo(2L);
    });
  }

  @Test
  void theSdksClusterVariablesConfigureSpringDataRedisTheSameWay() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PrivateEgressAutoConfiguration.class,
            PrivateEgressRedisAutoConfiguration.class, PrivateEgressDataRedisAutoConfiguration.class,
            DataRedisAutoConfiguration.class))
        .withPropertyValues("spring.data.redis.client-type=jedis", "REDIS_URL=redis://" + cluster.seed(),
            "private-egress.redis.cluster=true")
        .withBean("testEnvironment", PrivateEgressBuilderCustomizer.class,
            () -> e -> e.environment(Map.of("NO_GCE_CHECK", "true")).retryPolicy(PrivateEgressAutoConfigurationTest.FAST))
        .run(ctx -> {
          assertThat(ctx.getBean(RedisConnectionFactory.class)).isInstanceOf(NoResendClusterConnectionFactory.class);
          assertThat(ctx.getBean(StringRedisTemplate.class).opsForValue().increment(onA)).isEqualTo(1L);
          assertThat(ctx.getBean(UnifiedJedis.class).incr(onA)).isEqualTo(2L);
        });
  }

  @Test
  @EnabledForJreRange(min = JRE.JAVA_21)
  void withVirtualThreadsBootsOtherFactoryBeanIsTakenToo() {
    runner(true).withPropertyValues("spring.threads.virtual.enabled=true").run(ctx -> {
      assertThat(ctx).hasBean(NoResendClusterConnectionFactory.BOOT_VIRTUAL_THREADS_BEAN);
      assertThat(ctx.getBean(RedisConnectionFactory.class)).isInstanceOf(NoResendClusterConnectionFactory.class);
      assertThat(ctx.getBean(StringRedisTemplate.class).opsForValue().increment(onA)).isEqualTo(1L);
    });
  }
}
