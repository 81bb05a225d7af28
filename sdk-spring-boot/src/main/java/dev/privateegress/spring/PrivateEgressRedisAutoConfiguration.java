package dev.privateegress.spring;

import dev.privateegress.PrivateEgress;
import dev.privateegress.redis.PrivateRedis;
import dev.privateegress.spring.internal.OnRedisTargetCondition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import redis.clients.jedis.UnifiedJedis;

/**
 * Auto-configuration of the {@link UnifiedJedis} bean from {@link PrivateRedis} when sdk-redis is on the
 * class path and a Redis target is configured ({@code private-egress.redis.url}/{@code .host}, {@code
 * REDIS_URL}, {@code REDISHOST}, or Spring Data Redis' connection details: see {@link OnRedisTargetCondition}).
 * Opens no connection at start-up; closed with the context.
 */
@AutoConfiguration(after = PrivateEgressAutoConfiguration.class,
    afterName = "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration")
@ConditionalOnClass({PrivateRedis.class, UnifiedJedis.class})
@ConditionalOnBean(PrivateEgress.class)
@Conditional(OnRedisTargetCondition.class)
public final class PrivateEgressRedisAutoConfiguration {

  PrivateEgressRedisAutoConfiguration() {}

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  UnifiedJedis unifiedJedis(PrivateEgress egress) {
    return PrivateRedis.connect(egress);
  }
}
