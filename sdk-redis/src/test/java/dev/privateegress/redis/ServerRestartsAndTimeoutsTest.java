package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.privateegress.PrivateEgress;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import dev.privateegress.testing.TlsMaterial;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Connection;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.util.Pool;

/**
 * Standalone servers that close idle connections ({@code timeout 1}, as Memorystore's {@code timeout}
 * setting and VPC idle tracking do) and that answer {@code LOADING} after a restart.
 */
class ServerRestartsAndTimeoutsTest {

  @Test
  void idleConnectionsTheServerClosedAreReplacedBeforeTheCommandIsWritten() {
    try (RedisNode n = RedisLauncher.builder().config("timeout", "1").start()) {
      idleConnectionsAreReplaced(n, Map.of("REDIS_URL", n.url()));
    }
  }

  @Test
  void idleTlsConnectionsTheServerClosedAreReplacedToo() {
    assumeTrue(RedisLauncher.tlsAvailable(), "openssl missing or redis-server without TLS");
    try (TlsMaterial tls = TlsMaterial.generate();
        RedisNode n = RedisLauncher.builder().tls(tls).config("timeout", "1").start()) {
      idleConnectionsAreReplaced(n, Map.of("REDIS_URL", n.tlsUrl(), "REDIS_TLS_CA", tls.caCertificate().toString()));
    }
  }

  private static void idleConnectionsAreReplaced(RedisNode n, Map<String, String> env) {
    Fixtures.Events events = new Fixtures.Events();
    PrivateEgress egress = Fixtures.egress(env, events);
    try (UnifiedJedis redis = PrivateRedis.builder(egress).clientName("idle-victim").build()) {
      Pool<Connection> pool = Fixtures.pool(redis);
      int ok = 0;
      for (int round = 0; round < 2; round++) {
        Fixtures.openConnections(redis, 4); // the pool keeps four idle connections
        assertThat(redis.incr("counter")).isEqualTo(++ok);
        awaitNoClientNamed(n, "idle-victim"); // the server closed every one of them
        for (int i = 0; i < 3; i++) {
          assertThat(redis.incr("counter")).isEqualTo(++ok);
        }
      }
      assertThat(events.ambiguous).as("no command was sent on a connection the server had closed").isEmpty();
      assertThat(n.command("GET", "counter")).isEqualTo(Integer.toString(ok));
    }
  }

  @Test
  void loadingAfterARestartIsWaitedOutWithinTheDeadline() {
    // 20,000 keys at 50 µs each: about one second of LOADING replies after the restart.
    try (RedisNode n = RedisLauncher.builder().config("key-load-delay", "50")
        .config("loading-process-events-interval-bytes", "1024").start()) {
      Fixtures.Events events = new Fixtures.Events();
      PrivateEgress egress = Fixtures.egress(Map.of("REDIS_URL", n.url()), events);
      try (UnifiedJedis redis = PrivateRedis.connect(egress)) {
        for (int chunk = 0; chunk < 20; chunk++) {
          Map<String, String> kv = new HashMap<>();
          for (int i = 0; i < 1000; i++) {
            kv.put("key:" + (chunk * 1000 + i), "v");
          }
          redis.mset(kv.entrySet().stream().flatMap(e -> java.util.stream.Stream.of(e.getKey(), e.getValue()))
              .toArray(String[]::new));
        }
        redis.set("counter", "0");
        long lastUse = System.nanoTime();
        n.command("SAVE");
        n.kill();
        n.startAccepting();
        assertThat(String.valueOf(loadingOrNull(n))).as("the restarted server is still loading").startsWith("LOADING");
        // A real restart takes far longer than this: let the pooled connection be idle past the point where the
        // SDK checks it before writing (a crash right after its last use is the documented ambiguous case).
        long idleMillis = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastUse);
        if (idleMillis < 300) {
          sleepMillis(300 - idleMillis);
        }

        assertThat(redis.incr("counter")).as("an INCR refused with LOADING did not run: sent again").isEqualTo(1);
        assertThat(redis.get("key:19999")).isEqualTo("v");
        assertThat(events.retries).anyMatch(r -> r.contains("LOADING"));
        assertThat(events.ambiguous).isEmpty();
        assertThat(n.command("GET", "counter")).isEqualTo("1");
      }
    }
  }

  private static void sleepMillis(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static Object loadingOrNull(RedisNode n) {
    try {
      return n.command("PING");
    } catch (RuntimeException e) {
      return e.getMessage();
    }
  }


  static void awaitNoClientNamed(RedisNode n, String name) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (String.valueOf(n.command("CLIENT", "LIST")).contains("name=" + name + " ")) {
      assertThat(System.nanoTime()).as("server closed the idle connections within 10 s").isLessThan(deadline);
      sleep(50);
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
