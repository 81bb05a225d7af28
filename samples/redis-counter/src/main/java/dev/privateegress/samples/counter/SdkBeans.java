package dev.privateegress.samples.counter;

import dev.privateegress.PrivateEgress;
import dev.privateegress.redis.PrivateRedis;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import redis.clients.jedis.UnifiedJedis;

/** PrivateEgress and the Redis client from the SDK variables (and the local Redis URL, when started). */
@Configuration(proxyBeanMethods = false)
class SdkBeans {

  @Bean
  PrivateEgress privateEgress(Environment env) {
    PrivateEgress.Builder b = PrivateEgress.builder().environment(System.getenv())
        .systemProperties(System.getProperties());
    String url = env.getProperty(LocalRedis.URL_PROPERTY);
    if (url != null) {
      b.redisUrl(url);
    }
    return b.build();
  }

  @Bean(destroyMethod = "close")
  UnifiedJedis redis(PrivateEgress egress) {
    return PrivateRedis.connect(egress);
  }
}
