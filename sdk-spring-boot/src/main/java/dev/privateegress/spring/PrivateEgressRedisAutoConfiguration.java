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
 * REDIS_URL} or {@code REDISHOST}). Opens no connection at start-up; closed with the context.
 */
@AutoConfiguration(after = PrivateEgressAutoConfiguration.class)
@ConditionalOnClass({PrivateRedis.class, UnifiedJedis.class})
@ConditionalOnBean(PrivateEgress.class)
@Conditional(OnRedisTargetCondition.class)
public final class PrivateEgressRedisAutoConfiguration {

  PrivateEgressRedisAutoConfiguration() {}

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  UnifiedJedis unifiedJedis(PrivateEgress egress) {
    try {
      return PrivateRedis.connect(egress);
    } catch (LinkageError e) {
      throw wrongJedis(e, jedisVersion());
    }
  }

  /** The Jedis version from its jar's Maven metadata, or null. */
  static String jedisVersion() {
    try (java.io.InputStream in = UnifiedJedis.class.getResourceAsStream(
        "/META-INF/maven/redis.clients/jedis/pom.properties")) {
      if (in == null) {
        return null;
      }
      java.util.Properties p = new java.util.Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (java.io.IOException e) {
      return null;
    }
  }

  /**
   * Spring Boot 4.0's dependency management pins Jedis 7.0.0, which lacks methods the SDK calls; say so
   * instead of leaving a bare {@code NoSuchMethodError}.
   */
  static IllegalStateException wrongJedis(LinkageError e, String version) {
    return new IllegalStateException("private-egress-redis needs Jedis 8 (it is built and tested with 8.0.2) but "
        + "Jedis " + (version == null ? "of another version" : version) + " is on the class path, probably "
        + "from Spring Boot's dependency management (it pins 7.0.0). Set <jedis.version>8.0.2</jedis.version> "
        + "in your pom's <properties> (spring-boot-starter-parent), or manage redis.clients:jedis:8.0.2 ahead of "
        + "the spring-boot-dependencies import (" + e + ")", e);
  }
}
