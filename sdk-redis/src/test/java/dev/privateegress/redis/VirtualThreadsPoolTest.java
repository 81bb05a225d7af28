package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;

/** A burst of (virtual) threads against a fast server: the pool serves its waiters in arrival order. */
class VirtualThreadsPoolTest {

  @Test
  void twoThousandThreadsTimesTwentyIncrsAllSucceed() throws Exception {
    try (RedisNode n = RedisLauncher.startPlain();
        UnifiedJedis redis = PrivateRedis.connect(Fixtures.egress(Map.of("REDIS_URL", n.url())))) {
      ExecutorService threads = virtualThreads();
      AtomicInteger ok = new AtomicInteger();
      Map<String, Integer> failures = new ConcurrentHashMap<>();
      for (int t = 0; t < 2_000; t++) {
        threads.execute(() -> {
          for (int i = 0; i < 20; i++) {
            try {
              redis.incr("counter");
              ok.incrementAndGet();
            } catch (RuntimeException e) {
              failures.merge(String.valueOf(e.getMessage()), 1, Integer::sum);
            }
          }
        });
      }
      threads.shutdown();
      assertThat(threads.awaitTermination(120, TimeUnit.SECONDS)).as("finished within the bound").isTrue();
      assertThat(failures).isEmpty();
      assertThat(ok.get()).isEqualTo(40_000);
      assertThat(n.command("GET", "counter")).isEqualTo("40000");
    }
  }

  /** Virtual threads: Java 21+ (the code is compiled for 17; CI runs this on Temurin 25). */
  private static ExecutorService virtualThreads() {
    Method m;
    try {
      m = Executors.class.getMethod("newVirtualThreadPerTaskExecutor");
    } catch (NoSuchMethodException e) {
      assumeTrue(false, "virtual threads need Java 21+");
      throw new IllegalStateException(e);
    }
    try {
      return (ExecutorService) m.invoke(null);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }
}
