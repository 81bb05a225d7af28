package dev.privateegress.redis;

import io.micrometer.common.KeyValues;

/**
 * OpenTelemetry's Redis conventions: observation {@code private.egress.redis.command}, span name the command;
 * {@code db.system.name=redis}, {@code db.operation.name}, {@code server.address}, {@code server.port},
 * {@code db.namespace} (the database index), {@code db.response.status_code} (an error reply's prefix),
 * {@code error.type}; no argument ever. The SDK's own: {@code private_egress.attempt} on re-sends and
 * {@code private_egress.outcome=ambiguous} when the command may or may not have run.
 */
public class DefaultRedisCommandObservationConvention implements RedisCommandObservationConvention {
  public static final DefaultRedisCommandObservationConvention INSTANCE = new DefaultRedisCommandObservationConvention();

  @Override
  public String getName() {
    return "private.egress.redis.command";
  }

  @Override
  public String getContextualName(RedisCommandContext context) {
    return context.command();
  }

  @Override
  public KeyValues getLowCardinalityKeyValues(RedisCommandContext context) {
    KeyValues kv = KeyValues.of("db.system.name", "redis", "db.operation.name", context.command(),
        "server.address", context.host(), "server.port", Integer.toString(context.port()),
        "db.namespace", Integer.toString(context.database()));
    if (context.errorPrefix() != null) {
      kv = kv.and("db.response.status_code", context.errorPrefix());
    }
    if (context.ambiguous()) {
      kv = kv.and("private_egress.outcome", "ambiguous");
    }
    Throwable error = context.getError();
    if (error != null) {
      kv = kv.and("error.type", context.errorPrefix() != null ? context.errorPrefix() : error.getClass().getName());
    }
    return kv;
  }

  @Override
  public KeyValues getHighCardinalityKeyValues(RedisCommandContext context) {
    return context.attempt() > 1 ? KeyValues.of("private_egress.attempt", Integer.toString(context.attempt()))
        : KeyValues.empty();
  }
}
