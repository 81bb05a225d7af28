package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryBudget;
import dev.privateegress.RetryPolicy;
import dev.privateegress.testing.RedisCluster;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A 3-master cluster with {@code appendfsync always}, so whatever a node acknowledged survives its {@code
 * kill -9}: a master killed and restarted under load, and nodes that close idle connections.
 */
class ClusterRestartTest {
  private static RedisCluster cluster;

  @BeforeAll
  static void start() {
    cluster = RedisLauncher.cluster(3).fsyncAlways(true).start();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static PrivateEgress egress(Fixtures.Events events, AtomicInteger budgetsCreated) {
    return PrivateEgress.builder()
        .environment(Map.of("REDIS_URL", "redis://" + cluster.seed(), "REDIS_CLUSTER", "true",
            "PRIVATE_EGRESS_STARTUP_GRACE", "PT0S"))
        // 8 attempts (about 1 s of connect retries): on a loaded machine the killed master takes longer to come
        // back than the default 3 attempts wait, and the reader's GET failed with "connection refused" (also
        // before the node pools were the SDK's); the point here is CLUSTERDOWN, which is retried until the deadline.
        .retryPolicy(RetryPolicy.defaults().withBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
            .withMaxAttempts(8).withDeadline(Duration.ofSeconds(10)))
        .retryBudgets(() -> {
          budgetsCreated.incrementAndGet();
          return RetryBudget.defaults();
        })
        .listener(events)
        .build();
  }

  @Test
  void idleConnectionsEveryNodeClosedAreReplacedBeforeTheCommandIsWritten() {
    Fixtures.Events events = new Fixtures.Events();
    List<String> keys = keysOnEveryNode(2);
    try (UnifiedJedis redis = PrivateRedis.builder(egress(events, new AtomicInteger())).clientName("idle-cluster")
        .build()) {
      for (RedisNode n : cluster.nodes()) {
        n.command("CONFIG", "SET", "timeout", "1");
      }
      int failures = 0;
      for (int round = 0; round < 2; round++) {
        keys.forEach(redis::incr); // a pooled connection to every master
        for (RedisNode n : cluster.nodes()) {
          ServerRestartsAndTimeoutsTest.awaitNoClientNamed(n, "idle-cluster");
        }
        for (String k : keys) {
          try {
            redis.incr(k);
          } catch (JedisException e) {
            failures++;
          }
        }
      }
      assertThat(failures).isZero();
      assertThat(events.ambiguous).isEmpty();
      for (String k : keys) {
        assertThat(redis.get(k)).isEqualTo("4");
      }
    } finally {
      for (RedisNode n : cluster.nodes()) {
        n.command("CONFIG", "SET", "timeout", "0");
      }
    }
  }

  @Test
  void masterKilledUnderEightThreadsOfIncrsLosesNothingAndAppliesNothingTwice() throws Exception {
    Fixtures.Events events = new Fixtures.Events();
    AtomicInteger budgetsCreated = new AtomicInteger();
    PrivateEgress egress = egress(events, budgetsCreated);
    RedisNode victim = cluster.node(1);
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < 8; i++) { // four keys on the victim, four elsewhere
      String k = "{kill9:" + i + "}"; // a hash tag: the reader's key sits in the same slot
      long onVictim = keys.stream().filter(x -> cluster.nodeForKey(x) == victim).count();
      boolean mine = cluster.nodeForKey(k) == victim;
      if (mine ? onVictim < 4 : keys.size() - onVictim < 4) {
        keys.add(k);
      }
    }
    String readKey = keys.stream().filter(k -> cluster.nodeForKey(k) == victim).findFirst().orElseThrow();
    long[] ok = new long[8];
    long[] ambiguous = new long[8];
    long[] notRun = new long[8];
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong reads = new AtomicLong();
    List<Throwable> readFailures = new CopyOnWriteArrayList<>();
    try (UnifiedJedis redis = PrivateRedis.connect(egress)) {
      redis.set(readKey + ":r", "r");
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int id = t;
        threads.add(new Thread(() -> {
          for (int i = 0; i < 100_000 && !stop.get(); i++) {
            try {
              redis.incr(keys.get(id));
              ok[id]++;
            } catch (AmbiguousCommandException e) {
              ambiguous[id]++;
            } catch (JedisException e) {
              notRun[id]++; // refused connections and not-ready replies: the INCR never ran
            }
          }
        }, "incr-" + t));
      }
      threads.add(new Thread(() -> {
        while (!stop.get()) {
          try {
            PrivateRedis.retrying(egress, redis, r -> r.get(readKey + ":r"));
            reads.incrementAndGet();
          } catch (RuntimeException e) {
            readFailures.add(e);
          }
        }
      }, "reader"));
      threads.forEach(Thread::start);
      awaitTrue(() -> sum(ok) >= 2_000, "2,000 INCRs before the kill");
      redis.clients.jedis.ConnectionPool victimPool = ClusterNodePoolsTest.clusterNodes(redis)
          .get("127.0.0.1:" + victim.port());
      long openedBefore = victimPool.getCreatedCount();
      long before = reads.get();
      victim.kill();
      victim.start();
      cluster.awaitOk(30_000);
      long okAtRejoin = sum(ok);
      awaitTrue(() -> sum(ok) >= okAtRejoin + 2_000 && reads.get() > before + 50, "INCRs and reads after the rejoin");
      stop.set(true);
      for (Thread t : threads) {
        t.join(TimeUnit.SECONDS.toMillis(30));
      }
      long reconnects = victimPool.getCreatedCount() - openedBefore;
      long lost = 0;
      long doubled = 0;
      for (int t = 0; t < 8; t++) {
        long server = Long.parseLong(String.valueOf(cluster.nodeForKey(keys.get(t)).command("GET", keys.get(t))));
        lost += Math.max(0, ok[t] - server);
        doubled += Math.max(0, server - ok[t] - ambiguous[t]);
      }
      System.out.printf("kill -9 of a master under 8 INCR threads: %d ok, %d ambiguous, %d not run; lost %d, "
          + "applied twice %d; reads via retrying %d ok, %d failed; retries %d (CLUSTERDOWN %d); connections "
          + "opened to the restarted master %d%n", sum(ok),
          sum(ambiguous), sum(notRun), lost, doubled, reads.get(), readFailures.size(), events.retries.size(),
          events.retries.stream().filter(r -> r.contains("CLUSTERDOWN")).count(), reconnects);
      assertThat(lost).as("acknowledged INCRs lost").isZero();
      assertThat(doubled).as("INCRs applied twice").isZero();
      assertThat(readFailures).as("reads through retrying across the rejoin").isEmpty();
      // One probe connection first, then one more at a time while commands wait: at most one per thread using
      // the node (four INCR threads and the reader), never a connection per waiting command or retry.
      assertThat(reconnects).as("connections opened to the restarted master").isBetween(1L, 5L);
      assertThat(events.ambiguous).as("one redisAmbiguous event per ambiguous INCR")
          .filteredOn(e -> e.endsWith(" INCR")).hasSize((int) sum(ambiguous));
      assertThat(budgetsCreated).as("core's overflow budget, and one for the whole cluster").hasValue(2);
      assertThat(events.retries).allSatisfy(r -> assertThat(r).startsWith("redis " + cluster.seed() + " "));
    }
  }

  private static long sum(long[] a) {
    long s = 0;
    for (long x : a) {
      s += x;
    }
    return s;
  }

  private static List<String> keysOnEveryNode(int perNode) {
    Map<RedisNode, Integer> count = new HashMap<>();
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < perNode * cluster.nodes().size(); i++) {
      String k = "idle:" + i;
      RedisNode n = cluster.nodeForKey(k);
      if (count.merge(n, 1, Integer::sum) <= perNode) {
        keys.add(k);
      }
    }
    return keys;
  }

  static void awaitTrue(java.util.function.BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what + " within 60 s").isLessThan(deadline);
      ServerRestartsAndTimeoutsTest.sleep(20);
    }
  }
}
