package dev.privateegress.redis;

import dev.privateegress.EgressListener;
import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryPolicy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Builds PrivateEgress instances from test environment maps and records listener events. */
final class Fixtures {
  private Fixtures() {}

  /** The pool of a standalone client: {@code getPool()} of Jedis 8's RedisClient or Jedis 7.0's JedisPooled. */
  @SuppressWarnings("unchecked")
  static redis.clients.jedis.util.Pool<redis.clients.jedis.Connection> pool(redis.clients.jedis.UnifiedJedis redis) {
    try {
      return (redis.clients.jedis.util.Pool<redis.clients.jedis.Connection>) redis.getClass().getMethod("getPool")
          .invoke(redis);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(redis.getClass() + " has no pool", e);
    }
  }

  static PrivateEgress egress(Map<String, String> env) {
    return egress(env, EgressListener.NONE);
  }

  static PrivateEgress egress(Map<String, String> env, EgressListener listener) {
    Map<String, String> all = new HashMap<>(env);
    all.putIfAbsent("PRIVATE_EGRESS_STARTUP_GRACE", "PT0S");
    return PrivateEgress.builder().environment(all).listener(listener)
        .retryPolicy(RetryPolicy.defaults().withBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
            .withDeadline(Duration.ofSeconds(10)))
        .build();
  }

  /**
   * Opens {@code count} pooled connections (each checked with a PING) and returns them to the pool idle.
   * They are borrowed the way commands borrow them: the pool opens one connection at a time and grows
   * while borrowers wait, so this takes about 20 ms per connection.
   */
  static void openConnections(redis.clients.jedis.UnifiedJedis client, int count) {
    List<redis.clients.jedis.AbstractPipeline> held = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        redis.clients.jedis.AbstractPipeline p = client.pipelined();
        held.add(p);
        redis.clients.jedis.Response<Object> pong = p.sendCommand(redis.clients.jedis.Protocol.Command.PING, new String[0]);
        p.sync();
        if (!"PONG".equals(new String((byte[]) pong.get(), java.nio.charset.StandardCharsets.UTF_8))) {
          throw new AssertionError("PING answered " + pong.get());
        }
      }
    } finally {
      held.forEach(redis.clients.jedis.AbstractPipeline::close);
    }
  }

  /** Records events; never stores secrets (the SDK never passes any). */
  static final class Events implements EgressListener {
    final List<String> authFailures = new CopyOnWriteArrayList<>();
    final List<String> retries = new CopyOnWriteArrayList<>();
    final List<String> connectFailures = new CopyOnWriteArrayList<>();
    final List<String> ambiguous = new CopyOnWriteArrayList<>();
    final List<String> attempts = new CopyOnWriteArrayList<>();
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<String> budgetExhausted = new CopyOnWriteArrayList<>();

    @Override
    public void redisAmbiguous(String target, String command) {
      ambiguous.add(target + " " + command);
    }

    @Override
    public void attempt(String target, int attempt, String outcome, Duration took) {
      attempts.add(target + " #" + attempt + " " + outcome);
    }

    @Override
    public void callEnded(String target, int attempts, boolean succeeded) {
      calls.add(target + " " + attempts + " " + succeeded);
    }

    @Override
    public void retryBudgetExhausted(String target) {
      budgetExhausted.add(target);
    }

    @Override
    public void redisAuthFailed(String target, String reason) {
      authFailures.add(target + ": " + reason);
    }

    @Override
    public void retry(String target, int attempt, Duration delay, String cause) {
      retries.add(target + " #" + attempt + " " + cause);
    }

    @Override
    public void connectFailed(String host, InetSocketAddress address, Throwable cause) {
      connectFailures.add(host + " " + address);
    }
  }
}
