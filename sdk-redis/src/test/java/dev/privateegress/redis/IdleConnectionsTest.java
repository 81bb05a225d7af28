package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.PrivateEgress;
import dev.privateegress.testing.FaultProxy;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.AbstractTransaction;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;

/**
 * Idle connections that the server closed or the path forgot: transactions and pipelines get the same
 * stale check as single commands, and connections idle past the limit are replaced when next borrowed.
 */
class IdleConnectionsTest {

  @Test
  void afterTheServersIdleTimeoutTheFirstTransactionAndPipelineSucceedAndRunOnce() throws Exception {
    try (RedisNode n = RedisLauncher.builder().config("timeout", "1").start()) {
      Fixtures.Events events = new Fixtures.Events();
      PrivateEgress egress = Fixtures.egress(Map.of("REDIS_URL", n.url()), events);
      try (UnifiedJedis redis = PrivateRedis.builder(egress).clientName("idle-tx").build()) {
        assertThat(redis.incr("counter")).isEqualTo(1);
        awaitClosedByServer(n);
        try (AbstractTransaction tx = redis.multi()) {
          Response<Long> r = tx.incr("counter");
          tx.exec();
          assertThat(r.get()).isEqualTo(2);
        }
        awaitClosedByServer(n);
        try (AbstractPipeline p = redis.pipelined()) {
          Response<Long> r = p.incr("counter");
          p.sync();
          assertThat(r.get()).isEqualTo(3);
        }
      }
      assertThat(n.command("GET", "counter")).isEqualTo("3");
      assertThat(events.ambiguous).isEmpty();
    }
  }

  @Test
  void afterOneConnectionIsFoundBrokenTheOthersIdleThenAreCheckedBeforeTheirNextCommand() throws Exception {
    try (RedisNode n = RedisLauncher.startPlain()) {
      Fixtures.Events events = new Fixtures.Events();
      PrivateEgress egress = Fixtures.egress(Map.of("REDIS_URL", n.url()), events);
      try (UnifiedJedis redis = PrivateRedis.builder(egress).maxTotal(8).build()) {
        assertThat(redis.set("k", "v")).isEqualTo("OK");
        Fixtures.openConnections(redis, 4); // four idle connections, each just used
        n.command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"); // the server drops them all at once
        Thread.sleep(50); // the FINs arrive; still far below the 250 ms idle check
        int ambiguous = 0;
        for (int i = 0; i < 4; i++) {
          try {
            assertThat(redis.get("k")).isEqualTo("v");
          } catch (AmbiguousCommandException e) {
            ambiguous++;
          }
        }
        // The first command finds a dead connection (it may have run, so it is reported); the pool then checks
        // every connection that was idle at that moment before handing it out, so no other command is lost to one.
        assertThat(ambiguous).as("commands lost to connections the server had already closed").isLessThanOrEqualTo(1);
      }
    }
  }

  @Test
  void connectionsIdlePastTheLimitAreReplacedAtBorrowSoAForgottenFlowIsNeverUsed() throws Exception {
    try (RedisNode n = RedisLauncher.startPlain(); FaultProxy proxy = FaultProxy.start(n.port())) {
      Fixtures.Events events = new Fixtures.Events();
      PrivateEgress egress = Fixtures.egress(Map.of("REDIS_URL", "redis://127.0.0.1:" + proxy.port()), events);
      try (UnifiedJedis redis = PrivateRedis.builder(egress).evictAfterIdle(Duration.ofMillis(600))
          .validateIdleEvery(Duration.ofMinutes(5)).socketTimeout(Duration.ofSeconds(1)).build()) {
        for (String kind : List.of("command", "transaction", "pipeline")) {
          assertThat(redis.incr("warm-" + kind)).isEqualTo(1);
          proxy.forgetOpenConnections(); // the path drops the idle flow: no FIN, no RST, nothing answered
          Thread.sleep(800); // past the idle limit (a lower bound: longer is fine)
          switch (kind) {
            case "command" -> assertThat(redis.incr("counter")).isEqualTo(1);
            case "transaction" -> {
              try (AbstractTransaction tx = redis.multi()) {
                tx.incr("counter");
                assertThat(tx.exec()).containsExactly(2L);
              }
            }
            default -> {
              try (AbstractPipeline p = redis.pipelined()) {
                Response<Long> r = p.incr("counter");
                p.sync();
                assertThat(r.get()).isEqualTo(3);
              }
            }
          }
        }
      }
      assertThat(n.command("GET", "counter")).isEqualTo("3");
      assertThat(events.ambiguous).as("no command went out on a forgotten flow").isEmpty();
      assertThat(proxy.acceptedConnections()).isEqualTo(4);
    }
  }

  private static void awaitClosedByServer(RedisNode n) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (String.valueOf(n.command("CLIENT", "LIST")).contains("name=idle-tx")) {
      if (System.nanoTime() > until) {
        throw new AssertionError("the server kept the idle connection");
      }
      Thread.sleep(100);
    }
  }
}
