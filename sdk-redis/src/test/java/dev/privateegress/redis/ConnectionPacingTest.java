package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.PrivateEgress;
import dev.privateegress.testing.FaultProxy;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Connections opened at the pace they are needed (one at a time, growing while commands wait), and
 * connect failures shared by the commands that arrive while an attempt is failing.
 */
class ConnectionPacingTest {

  @Test
  void aBurstOfCommandsOnANewClientOpensAboutOneConnection() throws Exception {
    try (RedisNode n = RedisLauncher.startPlain();
        // Each connection's set-up (CLIENT SETNAME) waits 300 ms for the proxy: without pacing, every one
        // of the 20 commands finds no idle connection and opens its own, up to the pool's 8.
        FaultProxy proxy = FaultProxy.start(n.port()).defaultBehavior(FaultProxy.Behavior.pass()
            .delayed(Duration.ofMillis(300)));
        UnifiedJedis redis = PrivateRedis.builder(Fixtures.egress(Map.of("REDIS_URL",
            "redis://127.0.0.1:" + proxy.port()))).clientName("burst").build()) {
      List<Throwable> failures = burst(20, () -> redis.incr("counter"));
      assertThat(failures).isEmpty();
      assertThat(n.command("GET", "counter")).as("each applied once").isEqualTo("20");
      assertThat(proxy.acceptedConnections()).as("connections opened for 20 concurrent commands").isBetween(1, 3);
    }
  }

  @Test
  void sustainedConcurrencyStillGrowsThePoolOneConnectionAtATime() throws Exception {
    try (RedisNode n = RedisLauncher.startPlain();
        UnifiedJedis redis = PrivateRedis.builder(Fixtures.egress(Map.of("REDIS_URL", n.url()))).build()) {
      // Eight threads, each running five commands that hold their connection 100 ms: commands keep
      // waiting, so the pool must grow (one connection would need 4 s for the 40 of them).
      List<Throwable> failures = burst(8, () -> {
        for (int i = 0; i < 5; i++) {
          redis.blpop(0.1, "nothing-here");
        }
      });
      assertThat(failures).isEmpty();
      assertThat(Fixtures.pool(redis).getNumIdle()).isGreaterThanOrEqualTo(4);
    }
  }

  @Test
  void commandsArrivingWhileConnectsFailShareTheFailureInsteadOfEachDialling() throws Exception {
    try (RedisNode n = RedisLauncher.startPlain();
        FaultProxy proxy = FaultProxy.start(n.port()).defaultBehavior(FaultProxy.Behavior.reset()
            .delayed(Duration.ofMillis(100)))) {
      Fixtures.Events events = new Fixtures.Events();
      PrivateEgress egress = Fixtures.egress(Map.of("REDIS_URL", "redis://127.0.0.1:" + proxy.port()), events);
      try (UnifiedJedis redis = PrivateRedis.builder(egress).clientName("storm").build()) {
        List<Throwable> failures = burst(30, () -> redis.incr("counter"));
        assertThat(failures).hasSize(30).allSatisfy(f -> assertThat(f).isInstanceOf(JedisException.class)
            .hasMessageContaining("cannot connect to redis 127.0.0.1:" + proxy.port()));
        // 30 commands with 3 attempts each would dial 90 times; sharing the attempt in flight dials a few.
        assertThat(proxy.acceptedConnections()).as("connect attempts for 30 commands").isLessThan(15);
        assertThat(events.attempts).as("every command still reports its attempts").hasSizeGreaterThanOrEqualTo(30);
      }
      assertThat(n.command("GET", "counter")).isNull();
    }
  }

  /** Runs {@code count} copies of {@code command} at once; returns their failures. Bounded: 20 s. */
  static List<Throwable> burst(int count, Runnable command) throws InterruptedException {
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    CountDownLatch start = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(count);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Thread t = new Thread(() -> {
        try {
          start.await();
          command.run();
        } catch (Throwable e) {
          failures.add(e);
        } finally {
          done.countDown();
        }
      });
      t.start();
      threads.add(t);
    }
    start.countDown();
    assertThat(done.await(20, TimeUnit.SECONDS)).as("burst finished").isTrue();
    return failures;
  }
}
