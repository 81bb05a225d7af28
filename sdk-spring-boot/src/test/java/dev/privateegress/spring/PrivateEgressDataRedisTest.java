package dev.privateegress.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.Token;
import dev.privateegress.PrivateEgress;
import dev.privateegress.spring.internal.RedisTopologyException;
import dev.privateegress.testing.FakeMetadataServer;
import dev.privateegress.testing.MutableClock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.RedisSentinelConfiguration;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import redis.clients.jedis.UnifiedJedis;

/**
 * Spring Data Redis (Jedis, as {@code spring.data.redis.client-type=jedis}) and the SDK's {@code UnifiedJedis}
 * configured from one place, against real redis-servers.
 */
class PrivateEgressDataRedisTest {
  private static final String PASSWORD = "pa:ss/w@rd%1";

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withAllowBeanDefinitionOverriding(true)
      .withConfiguration(AutoConfigurations.of(PrivateEgressAutoConfiguration.class,
          PrivateEgressRedisAutoConfiguration.class, PrivateEgressDataRedisAutoConfiguration.class,
          DataRedisAutoConfiguration.class))
      .withPropertyValues("spring.data.redis.client-type=jedis")
      .withBean("testEnvironment", PrivateEgressBuilderCustomizer.class,
          () -> b -> b.environment(Map.of("NO_GCE_CHECK", "true")).retryPolicy(PrivateEgressAutoConfigurationTest.FAST));

  @Test
  void springDataRedisPropertiesConfigureTheSdksUnifiedJedisToo() throws Exception {
    try (TestRedis redis = TestRedis.startWithPassword(PASSWORD)) {
      runner.withPropertyValues("spring.data.redis.host=127.0.0.1", "spring.data.redis.port=" + redis.port,
              "spring.data.redis.password=" + PASSWORD)
          .run(ctx -> {
            assertThat(ctx.getBean(RedisConnectionFactory.class)).isInstanceOf(JedisConnectionFactory.class);
            StringRedisTemplate template = ctx.getBean(StringRedisTemplate.class);
            UnifiedJedis jedis = ctx.getBean(UnifiedJedis.class);
            assertThat(template.opsForValue().increment("visits")).isEqualTo(1L);
            assertThat(jedis.incr("visits")).isEqualTo(2L);
            assertThat(redis.command("GET", "visits")).isEqualTo("2");
          });
    }
  }

  @Test
  void springDataRedisUrlWithAPasswordConfiguresBoth() throws Exception {
    try (TestRedis redis = TestRedis.startWithPassword("s3cret")) {
      runner.withPropertyValues("spring.data.redis.url=redis://:s3cret@127.0.0.1:" + redis.port + "/3")
          .run(ctx -> {
            assertThat(ctx.getBean(StringRedisTemplate.class).opsForValue().increment("n")).isEqualTo(1L);
            assertThat(ctx.getBean(UnifiedJedis.class).incr("n")).isEqualTo(2L);
            assertThat(redis.command("SELECT", "3")).isEqualTo("OK");
          });
    }
  }

  @Test
  void theSdksVariablesConfigureSpringDataRedisWhenItsOwnPropertiesAreUnset() throws Exception {
    try (TestRedis redis = TestRedis.startWithPassword(PASSWORD)) {
      runner.withPropertyValues("REDISHOST=127.0.0.1", "REDISPORT=" + redis.port, "REDIS_AUTH=" + PASSWORD)
          .run(ctx -> {
            assertThat(ctx.getBean(DataRedisConnectionDetails.class).getClass().getSimpleName())
                .isEqualTo("SdkConnectionDetails");
            assertThat(ctx.getBean(StringRedisTemplate.class).opsForValue().increment("visits")).isEqualTo(1L);
            assertThat(ctx.getBean(UnifiedJedis.class).incr("visits")).isEqualTo(2L);
          });
    }
  }

  @Test
  void withoutAnyRedisSettingTheSdkTakesNoneFromBootsDefaults() throws Exception {
    runner.run(ctx -> {
      assertThat(ctx).hasNotFailed().doesNotHaveBean(UnifiedJedis.class);
      assertThat(ctx.getBean(PrivateEgress.class).config().redis()).isEmpty();
    });
  }

  @Test
  void masterReplicaDetailsAreRefusedNotIgnored() {
    runner.withPropertyValues("spring.data.redis.masterreplica.nodes=127.0.0.1:6379,127.0.0.1:6380")
        .run(ctx -> assertThat(ctx).getFailure().rootCause().isInstanceOf(RedisTopologyException.class)
            .hasMessageContaining("static master/replica (spring.data.redis.masterreplica.nodes)"));
  }

  @Test
  void anApplicationsSentinelConfigurationBeanIsRefusedNotIgnored() {
    runner.withBean(RedisSentinelConfiguration.class,
            () -> new RedisSentinelConfiguration("mymaster", java.util.Set.of("127.0.0.1:26379")))
        .run(ctx -> assertThat(ctx).getFailure().rootCause().isInstanceOf(RedisTopologyException.class)
            .hasMessageContaining("Redis Sentinel (a RedisSentinelConfiguration bean)"));
  }

  @Test
  void withTheSdksOwnRedisSpringDataRedisKeepsItsSentinel() throws Exception {
    try (TestRedis redis = TestRedis.start()) {
      runner.withPropertyValues("REDIS_URL=" + redis.url, "spring.data.redis.sentinel.master=mymaster",
              "spring.data.redis.sentinel.nodes=127.0.0.1:26379")
          // The application's own factory (Boot's would dial the Sentinel at start-up; none runs here).
          .withBean(RedisConnectionFactory.class,
              () -> new JedisConnectionFactory(new RedisStandaloneConfiguration(redis.host, redis.port)))
          .run(ctx -> {
            assertThat(ctx).hasNotFailed();
            // Boot's details, not the SDK's: Spring Data Redis stays on its Sentinel.
            assertThat(ctx.getBean(DataRedisConnectionDetails.class).getSentinel()).isNotNull();
            assertThat(ctx.getBean(UnifiedJedis.class).incr("n")).isEqualTo(1L);
          });
    }
  }

  @Test
  void springDataRedisConnectionsAuthenticateWithAFreshIamTokenPerNewConnection() throws Exception {
    MutableClock clock = MutableClock.start();
    try (FakeMetadataServer md = FakeMetadataServer.start(clock).tokenLifetime(Duration.ofMinutes(10));
        TestRedis redis = TestRedis.start()) {
      runner.withBean("testEnvironment", PrivateEgressBuilderCustomizer.class, () -> b -> b
              .environment(Map.of("GCE_METADATA_HOST", md.hostPort(), "K_SERVICE", "api", "K_REVISION", "api-1"))
              .clock(clock).retryPolicy(PrivateEgressAutoConfigurationTest.FAST))
          .withPropertyValues("REDIS_URL=" + redis.url, "REDIS_IAM_AUTH=true", "private-egress.lookup=off",
              "private-egress.startup-grace=0s")
          .run(ctx -> {
            PrivateEgress egress = ctx.getBean(PrivateEgress.class);
            Token first = egress.tokens().accessToken();
            redis.command("ACL", "SETUSER", "default", "on", "resetpass", ">" + first.value());
            StringRedisTemplate template = ctx.getBean(StringRedisTemplate.class);
            assertThat(template.opsForValue().increment("n")).isEqualTo(1L);

            clock.advance(Duration.ofMinutes(7)); // the cached token is due for refresh
            Token second = egress.tokens().accessToken();
            assertThat(second.value()).isNotEqualTo(first.value());
            redis.command("ACL", "SETUSER", "default", "resetpass", ">" + second.value());
            redis.command("CLIENT", "KILL", "USER", "default");
            JedisConnectionFactory factory = ctx.getBean(JedisConnectionFactory.class);
            factory.stop(); // a new pool: the next connection is new and must authenticate again
            factory.start();
            assertThat(template.opsForValue().increment("n")).isEqualTo(2L);
            assertThat(String.valueOf(redis.command("CLIENT", "LIST"))).contains("user=default");
          });
    }
  }
}
