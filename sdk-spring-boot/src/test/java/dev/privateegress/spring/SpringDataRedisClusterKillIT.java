package dev.privateegress.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.redis.AmbiguousCommandException;
import dev.privateegress.testing.RedisCluster;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.core.StringRedisTemplate;
import redis.clients.jedis.UnifiedJedis;

/**
 * {@code kill -9} of a Redis Cluster master ({@code appendfsync always}, one replica each, which takes over) under
 * concurrent INCRs from three clients configured as a user does ({@code spring.data.redis.cluster.nodes}): Spring
 * Data Redis with Boot alone, Spring Data Redis with the starter, and the starter's {@code UnifiedJedis}. Each
 * thread owns one key on the killed master, so its INCR replies tell exactly what the server did: a reply more
 * than one above the last, beyond the failed calls between them, is an INCR applied twice; a reply not above the
 * last is an acknowledged INCR lost (asynchronous replication loses the master's last writes). A loss and a
 * double between the same two replies would cancel. The figures go to RELIABILITY.md; the run prints them.
 *
 * <p>An integration test (failsafe, {@code verify}): about 25 s on a 2-core machine, its INCR threads stop after 60 s at most.
 */
class SpringDataRedisClusterKillIT {
  private static final int THREADS = 2;
  private static final int OK_BEFORE = 300;
  private static final int OK_AFTER = 300;

  /** One thread's key: its last reply and what happened since. */
  static final class Key {
    final String name;
    long ok;
    long failed;
    long mayHaveRun;
    long twice;
    long lost;
    long last;
    long failedSinceOk;

    Key(String name) {
      this.name = name;
    }

    void replied(long value) {
      long gap = value - last;
      if (gap > 1 + failedSinceOk) {
        twice += gap - 1 - failedSinceOk;
      } else if (gap < 1) {
        lost += 1 - gap;
      }
      last = value;
      failedSinceOk = 0;
      ok++;
    }

    void failed(RuntimeException e) {
      if (e instanceof AmbiguousCommandException || e.getCause() instanceof AmbiguousCommandException) {
        mayHaveRun++; // said so; every other failure of the SDK and the starter is one that did not run
      }
      failed++;
      failedSinceOk++;
    }

    /** The server's final value against the last reply. */
    void settle(long onServer) {
      long gap = onServer - last;
      if (gap > failedSinceOk) {
        twice += gap - failedSinceOk;
      } else if (gap < 0) {
        lost += -gap;
      }
    }
  }

  /** One client's threads and keys. */
  record Client(String name, Function<String, Long> incr, List<Key> keys) {
    long sum(java.util.function.ToLongFunction<Key> f) {
      return keys.stream().mapToLong(f).sum();
    }

    String row() {
      return String.format("%-36s ok %5d  failed %3d (said may have run %d)  lost %3d  applied twice %3d", name,
          sum(k -> k.ok), sum(k -> k.failed), sum(k -> k.mayHaveRun), sum(k -> k.lost), sum(k -> k.twice));
    }
  }

  @Test
  void killOfAMasterUnderIncrsFromSpringDataRedisAndTheSdk() throws Exception {
    try (RedisCluster cluster = RedisLauncher.cluster(3).replicas(1).fsyncAlways(true).start()) {
      RedisNode victim = cluster.node(0);
      RedisNode replica = cluster.replicaOf(victim);
      List<String> keys = new ArrayList<>();
      for (int i = 0; keys.size() < 3 * THREADS; i++) {
        if (cluster.nodeForKey("kill:" + i) == victim) {
          keys.add("kill:" + i);
        }
      }
      String[] properties = {"spring.data.redis.client-type=jedis", "spring.data.redis.cluster.nodes=" + cluster.seed()};
      ApplicationContextRunner bootAlone = new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class)).withPropertyValues(properties);
      ApplicationContextRunner withStarter = new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(PrivateEgressAutoConfiguration.class,
              PrivateEgressRedisAutoConfiguration.class, PrivateEgressDataRedisAutoConfiguration.class,
              DataRedisAutoConfiguration.class))
          .withPropertyValues(properties)
          .withBean("testEnvironment", PrivateEgressBuilderCustomizer.class,
              () -> b -> b.environment(Map.of("NO_GCE_CHECK", "true")));
      bootAlone.run(boot -> withStarter.run(starter -> {
        StringRedisTemplate plain = boot.getBean(StringRedisTemplate.class);
        StringRedisTemplate safe = starter.getBean(StringRedisTemplate.class);
        UnifiedJedis sdk = starter.getBean(UnifiedJedis.class);
        List<Client> clients = List.of(
            new Client("Spring Data Redis, Boot alone", k -> plain.opsForValue().increment(k), new ArrayList<>()),
            new Client("Spring Data Redis, with the starter", k -> safe.opsForValue().increment(k), new ArrayList<>()),
            new Client("SDK UnifiedJedis (starter's bean)", sdk::incr, new ArrayList<>()));
        drill(cluster, victim, keys, clients);
        for (Client c : clients) {
          for (Key k : c.keys()) {
            k.settle(Long.parseLong(String.valueOf(replica.command("GET", k.name))));
          }
        }
        System.out.println("kill -9 of a cluster master (3 masters + 3 replicas, appendfsync always), " + THREADS
            + " INCR threads per client:");
        clients.forEach(c -> System.out.println("  " + c.row()));
        assertThat(cluster.nodeForKey(keys.get(0))).as("the replica took over").isSameAs(replica);
        for (Client c : clients) {
          assertThat(c.sum(k -> k.ok)).as(c.name()).isGreaterThanOrEqualTo(OK_BEFORE + OK_AFTER);
        }
        assertThat(clients.get(1).sum(k -> k.twice)).as("applied twice through the starter").isZero();
        assertThat(clients.get(2).sum(k -> k.twice)).as("applied twice by the SDK").isZero();
      }));
    }
  }

  /** Runs the INCR threads; kills the master after {@link #OK_BEFORE} OKs per client; 60 s cap in all. */
  private static void drill(RedisCluster cluster, RedisNode victim, List<String> keys, List<Client> clients)
      throws InterruptedException {
    AtomicBoolean stop = new AtomicBoolean();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    List<Thread> threads = new ArrayList<>();
    int next = 0;
    for (Client c : clients) {
      for (int t = 0; t < THREADS; t++) {
        Key key = new Key(keys.get(next++));
        c.keys().add(key);
        threads.add(new Thread(() -> {
          while (!stop.get() && System.nanoTime() < deadline) {
            try {
              long v = c.incr().apply(key.name);
              synchronized (key) {
                key.replied(v);
              }
            } catch (RuntimeException e) {
              synchronized (key) {
                key.failed(e);
              }
            }
          }
        }, "incr-" + key.name));
      }
    }
    threads.forEach(Thread::start);
    awaitEach(clients, OK_BEFORE, deadline);
    long[] atKill = clients.stream().mapToLong(c -> okOf(c)).toArray();
    victim.kill();
    cluster.awaitOk(30_000);
    for (int i = 0; i < clients.size(); i++) {
      awaitEach(List.of(clients.get(i)), atKill[i] + OK_AFTER, deadline);
    }
    stop.set(true);
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(30));
    }
  }

  private static long okOf(Client c) {
    long ok = 0;
    for (Key k : c.keys()) {
      synchronized (k) {
        ok += k.ok;
      }
    }
    return ok;
  }

  private static void awaitEach(List<Client> clients, long ok, long deadline) throws InterruptedException {
    while (System.nanoTime() < deadline && clients.stream().anyMatch(c -> okOf(c) < ok)) {
      Thread.sleep(5);
    }
  }
}
