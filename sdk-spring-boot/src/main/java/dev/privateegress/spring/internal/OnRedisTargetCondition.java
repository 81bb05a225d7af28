package dev.privateegress.spring.internal;

import dev.privateegress.VariableLookup;
import java.util.Arrays;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.ClassUtils;

/**
 * Matches when a Redis target is configured: the SDK's variables {@code REDIS_URL} or {@code REDISHOST} (or
 * {@code private-egress.redis.url}/{@code .host}, {@code redis.url}, {@code redishost}), read as the {@code
 * PrivateEgress} bean reads them ({@link SpringVariables}); or Spring Data Redis' {@code spring.data.redis.url},
 * {@code .host} or {@code .cluster.nodes}; or a {@code DataRedisConnectionDetails} bean of the application's
 * own ({@code @ServiceConnection}, Docker Compose).
 */
public final class OnRedisTargetCondition extends SpringBootCondition {
  private static final String DETAILS = "org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails";

  @Override
  public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
    SpringVariables variables = SpringVariables.of(context.getEnvironment());
    for (String variable : new String[] {"REDIS_URL", "REDISHOST"}) {
      VariableLookup.Setting s = variables.find(variable);
      if (s != null && !s.value().isBlank()) {
        return ConditionOutcome.match("Redis target configured by " + s.input());
      }
    }
    String spring = springDataRedisTarget(context.getEnvironment());
    if (spring != null) {
      return ConditionOutcome.match("Redis target configured by " + spring);
    }
    ConfigurableListableBeanFactory beans = context.getBeanFactory();
    if (beans != null && ClassUtils.isPresent(DETAILS, context.getClassLoader())) {
      String[] names = beans.getBeanNamesForType(ClassUtils.resolveClassName(DETAILS, context.getClassLoader()),
          true, false);
      if (Arrays.stream(names).anyMatch(n -> !n.equals("redisConnectionDetails")
          && !n.equals("privateEgressDataRedisConnectionDetails"))) {
        return ConditionOutcome.match("Redis target described by a DataRedisConnectionDetails bean");
      }
    }
    return ConditionOutcome.noMatch("no Redis target: neither REDIS_URL nor REDISHOST (nor private-egress.redis.url "
        + "or .host, redis.url or redishost), nor spring.data.redis.url, .host or .cluster.nodes is set");
  }

  /** The {@code spring.data.redis.*} property that names a Redis, or null. */
  public static String springDataRedisTarget(Environment env) {
    Binder binder = Binder.get(env);
    for (String name : new String[] {"spring.data.redis.url", "spring.data.redis.host"}) {
      if (binder.bind(name, String.class).isBound()) {
        return name;
      }
    }
    String nodes = "spring.data.redis.cluster.nodes";
    return binder.bind(nodes, Bindable.listOf(String.class)).isBound() ? nodes : null;
  }
}
