package dev.privateegress.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.PrivateEgress;
import dev.privateegress.redis.PrivateRedis;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import redis.clients.jedis.UnifiedJedis;

/**
 * {@code kill -9} of a standalone redis-server ({@code appendfsync always}) under 4 threads of INCR, restarted
 * at once: what Spring Data Redis' {@code StringRedisTemplate} (Jedis, Boot's pool) and the SDK's
 * {@code UnifiedJedis} report against what the server applied, and Lettuce (Boot's default client, which the
 * starter does not configure) for comparison. Lost = OK replies missing on the server;
 * applied twice = server increments beyond the OK replies plus the failed calls (each failure may have run).
 * The figures go to RELIABILITY.md; the run prints them.
 */
class SpringDataRedisKillTest {
  private static final int THREADS = 4;
  private static final int AFTER_RESTART = 500;

  record Figures(long ok, long failed, long onServer) {
    long lost() {
      return Math.max(0, ok - onServer);
    }

    long appliedTwice() {
      return Math.max(0, onServer - ok - failed);
    }
  }

  @Test
  void springDataRedisAndTheSdkUnderKill9() throws Exception {
    Figures spring;
    try (RedisNode node = RedisLauncher.builder().appendOnly(true).fsyncAlways(true).start()) {
      JedisConnectionFactory factory =
          new JedisConnectionFactory(new RedisStandaloneConfiguration(node.host(), node.port()));
      factory.afterPropertiesSet();
      factory.start();
      try {
        StringRedisTemplate template = new StringRedisTemplate(factory);
        spring = run(node, () -> template.opsForValue().increment("n"));
      } finally {
        factory.destroy();
      }
    }
    Figures lettuce; // Boot's default client: the starter gives it nothing, measured for the docs
    try (RedisNode node = RedisLauncher.builder().appendOnly(true).fsyncAlways(true).start()) {
      LettuceConnectionFactory factory =
          new LettuceConnectionFactory(new RedisStandaloneConfiguration(node.host(), node.port()));
      factory.afterPropertiesSet();
      factory.start();
      try {
        StringRedisTemplate template = new StringRedisTemplate(factory);
        lettuce = run(node, () -> template.opsForValue().increment("n"));
      } finally {
        factory.destroy();
      }
    }
    Figures sdk;
    try (RedisNode node = RedisLauncher.builder().appendOnly(true).fsyncAlways(true).start()) {
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("NO_GCE_CHECK", "true", "REDIS_URL", node.url())).build();
      try (UnifiedJedis redis = PrivateRedis.connect(egress)) {
        sdk = run(node, () -> redis.incr("n"));
      }
    }
    System.out.println("kill -9 (standalone, appendfsync always), " + THREADS + " threads of INCR:");
    System.out.println("  StringRedisTemplate: " + spring + " lost=" + spring.lost() + " twice=" + spring.appliedTwice());
    System.out.println("  StringRedisTemplate (Lettuce): " + lettuce + " lost=" + lettuce.lost() + " twice="
        + lettuce.appliedTwice());
    System.out.println("  SDK UnifiedJedis:    " + sdk + " lost=" + sdk.lost() + " twice=" + sdk.appliedTwice());
    // fsync always: an OK reply is on disk; neither client re-sends a failed INCR.
    assertThat(spring.lost()).isZero();
    assertThat(spring.appliedTwice()).isZero();
    assertThat(sdk.lost()).isZero();
    assertThat(sdk.appliedTwice()).isZero();
    assertThat(spring.ok()).isGreaterThanOrEqualTo(AFTER_RESTART);
    assertThat(sdk.ok()).isGreaterThanOrEqualTo(AFTER_RESTART);
    assertThat(lettuce.ok()).isGreaterThanOrEqualTo(AFTER_RESTART);
  }

  /** INCRs from {@link #THREADS} threads; kill -9 after 200 OKs, restart, stop after 500 more OKs (30 s cap). */
  private static Figures run(RedisNode node, LongSupplier incr) throws Exception {
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicLong okAfterRestart = new AtomicLong(-1);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    CountDownLatch done = new CountDownLatch(THREADS);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      Thread thread = new Thread(() -> {
        try {
          while (okAfterRestart.get() < AFTER_RESTART && System.nanoTime() < deadline) {
            try {
              incr.getAsLong();
              ok.incrementAndGet();
              if (okAfterRestart.get() >= 0) {
                okAfterRestart.incrementAndGet();
              }
            } catch (RuntimeException e) {
              failed.incrementAndGet();
            }
          }
        } finally {
          done.countDown();
        }
      });
      thread.start();
      threads.add(thread);
    }
    while (ok.get() < 200 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    node.kill();
    node.restart();
    okAfterRestart.set(0);
    assertThat(done.await(40, TimeUnit.SECONDS)).isTrue();
    long onServer = Long.parseLong(String.valueOf(node.command("GET", "n")));
    return new Figures(ok.get(), failed.get(), onServer);
  }
}
