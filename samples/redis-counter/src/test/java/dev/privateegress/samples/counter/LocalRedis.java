package dev.privateegress.samples.counter;

import dev.privateegress.Platform;
import dev.privateegress.PrivateEgress;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Makes {@code java -jar redis-counter.jar} work on a laptop with nothing else installed: when no Redis
 * target is configured and the process is not on Google Cloud, starts a real redis-server on a free
 * loopback port (the one on {@code PATH}, else the binary shipped in embedded-redis), with no
 * persistence so every run counts from 1, points the application at it and stops it when the
 * application context closes (Ctrl-C, SIGTERM, or a failed start). A watchdog shell reading a pipe from this
 * JVM kills the server when the pipe closes, so a {@code kill -9} of the JVM leaves no orphan redis-server.
 * Test code: the production jar carries neither this class nor the test kit.
 *
 * <p>On Google Cloud a missing Redis target is a deployment mistake, so start-up fails with the
 * variables to set instead of quietly counting in a private server.
 */
public final class LocalRedis implements ApplicationContextInitializer<ConfigurableApplicationContext> {
  /** The Spring property the starter reads the Redis URL from (also {@code REDIS_URL}). */
  static final String URL_PROPERTY = "private-egress.redis.url";
  /** Every way a Redis target can be given: the SDK's variables and the starter's properties. */
  static final List<String> TARGET_KEYS = List.of("REDIS_URL", "REDISHOST", "redis.url", "redishost",
      URL_PROPERTY, "private-egress.redis.host");

  private static final Logger LOG = LoggerFactory.getLogger(LocalRedis.class);

  @Override
  public void initialize(ConfigurableApplicationContext context) {
    ConfigurableEnvironment env = context.getEnvironment();
    Decision decision = decide(env::getProperty, () -> platform(System.getenv()));
    if (decision == Decision.CONFIGURED) {
      return;
    }
    if (decision == Decision.MISSING_ON_GOOGLE_CLOUD) {
      throw new IllegalStateException("no Redis target: set REDISHOST (and REDISPORT, 6378 for a Memorystore "
          + "instance with in-transit encryption, plus REDIS_TLS_CA) or REDIS_URL to your Memorystore instance; "
          + "the local throwaway redis-server is started only off Google Cloud");
    }
    RedisNode node = RedisLauncher.builder().start();
    Process watchdog = watchdog(node.pid());
    LOG.info("No Redis configured (REDIS_URL, REDISHOST) and not on Google Cloud: started a throwaway local "
        + "redis-server {} (pid {}) on {}:{} without persistence; it stops with this service",
        RedisLauncher.binary(), node.pid(), node.host(), node.port());
    env.getPropertySources().addFirst(new MapPropertySource("localRedis", Map.of(URL_PROPERTY, node.url())));
    // Registered before any other bean, so destroyed after all of them (the Redis pool closes first).
    ((DefaultListableBeanFactory) context.getBeanFactory()).registerDisposableBean("localRedisServer", () -> {
      node.close();
      watchdog.destroy();
      LOG.info("Stopped the local redis-server (pid {})", node.pid());
    });
  }

  /**
   * {@code sh} waiting on its standard input, a pipe whose only writer is this JVM: when the JVM ends in any
   * way, even {@code kill -9}, the read returns and the shell kills the server.
   */
  static Process watchdog(long redisPid) {
    try {
      return new ProcessBuilder("sh", "-c", "read _ ; kill " + redisPid + " 2>/dev/null")
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot start the watchdog of the local redis-server: " + e.getMessage(), e);
    }
  }

  enum Decision { CONFIGURED, MISSING_ON_GOOGLE_CLOUD, START_LOCAL }

  static Decision decide(UnaryOperator<String> property, Supplier<Platform> platform) {
    for (String key : TARGET_KEYS) {
      String value = property.apply(key);
      if (value != null && !value.isBlank()) { // blank counts as unset, as for the starter's Redis bean
        return Decision.CONFIGURED;
      }
    }
    return platform.get().onGoogleCloud() ? Decision.MISSING_ON_GOOGLE_CLOUD : Decision.START_LOCAL;
  }

  /** Platform detection from variables first; it asks a metadata server only if GCE_METADATA_HOST says where. */
  static Platform platform(Map<String, String> env) {
    return PrivateEgress.builder().environment(env).systemProperties(System.getProperties()).build().platform();
  }
}
