package dev.privateegress.spring.internal;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when a Redis target is configured: {@code private-egress.redis.url} or {@code .host}, the
 * variables {@code REDIS_URL} or {@code REDISHOST}, or their system properties {@code redis.url} and
 * {@code redishost}. Spring's environment holds all of them.
 */
public final class OnRedisTargetCondition extends SpringBootCondition {
  private static final String[] KEYS = {
      "private-egress.redis.url", "private-egress.redis.host", "REDIS_URL", "REDISHOST", "redis.url", "redishost"};

  @Override
  public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
    Environment env = context.getEnvironment();
    for (String key : KEYS) {
      String value = env.getProperty(key);
      if (value != null && !value.isBlank()) {
        return ConditionOutcome.match("Redis target configured by " + key);
      }
    }
    return ConditionOutcome.noMatch("no Redis target: none of " + String.join(", ", KEYS) + " is set");
  }
}
