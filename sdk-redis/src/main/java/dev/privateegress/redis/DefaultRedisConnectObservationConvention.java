package dev.privateegress.redis;

import io.micrometer.common.KeyValues;

/**
 * Observation {@code private.egress.redis.connect}, span name {@code redis connect}: {@code db.system.name},
 * {@code server.address}, {@code server.port}, {@code private_egress.auth} ({@code iam}, {@code password} or
 * {@code none}), {@code error.type} on failure.
 */
public class DefaultRedisConnectObservationConvention implements RedisConnectObservationConvention {
  public static final DefaultRedisConnectObservationConvention INSTANCE = new DefaultRedisConnectObservationConvention();

  @Override
  public String getName() {
    return "private.egress.redis.connect";
  }

  @Override
  public String getContextualName(RedisConnectContext context) {
    return "redis connect";
  }

  @Override
  public KeyValues getLowCardinalityKeyValues(RedisConnectContext context) {
    KeyValues kv = KeyValues.of("db.system.name", "redis", "server.address", context.host(),
        "server.port", Integer.toString(context.port()), "private_egress.auth", context.auth());
    Throwable error = context.getError();
    return error == null ? kv : kv.and("error.type", error.getClass().getName());
  }
}
