package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.privateegress.PrivateEgress;
import dev.privateegress.testing.RedisCluster;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import dev.privateegress.testing.TlsMaterial;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;

/** A 3-master TLS cluster (clients, bus and replication over TLS) with {@code appendfsync always}. */
class TlsClusterTest {

  @Test
  void commandsReachEveryMasterOverTlsAndIdleConnectionsTheNodesClosedAreReplaced() {
    assumeTrue(RedisLauncher.tlsAvailable(), "openssl missing or redis-server without TLS");
    try (TlsMaterial tls = TlsMaterial.generate();
        RedisCluster cluster = RedisLauncher.cluster(3).tls(tls).fsyncAlways(true).start()) {
      Fixtures.Events events = new Fixtures.Events();
      PrivateEgress egress = Fixtures.egress(Map.of("REDIS_URL", "rediss://" + cluster.seed(), "REDIS_CLUSTER", "true",
          "REDIS_TLS_CA", tls.caCertificate().toString()), events);
      List<String> keys = new ArrayList<>();
      Set<RedisNode> masters = new HashSet<>();
      for (int i = 0; masters.size() < 3 || keys.size() < 6; i++) {
        keys.add("tls:" + i);
        masters.add(cluster.nodeForKey("tls:" + i));
      }
      try (UnifiedJedis redis = PrivateRedis.builder(egress).clientName("tls-idle").build()) {
        for (String k : keys) {
          assertThat(redis.incr(k)).isEqualTo(1);
        }
        for (RedisNode n : cluster.nodes()) {
          // Not at start-up: a loaded machine may need over a second for a TLS handshake, which the
          // server's idle timeout would cut short.
          n.command("CONFIG", "SET", "timeout", "2");
        }
        for (RedisNode n : cluster.nodes()) {
          ServerRestartsAndTimeoutsTest.awaitNoClientNamed(n, "tls-idle"); // every node closed our connections
        }
        for (String k : keys) {
          assertThat(redis.incr(k)).isEqualTo(2);
          String got = PrivateRedis.retrying(egress, redis, r -> r.get(k));
          assertThat(got).isEqualTo("2");
        }
        assertThat(events.ambiguous).isEmpty();
        assertThat(events.attempts).as("attempt events name the discovery endpoint")
            .allSatisfy(a -> assertThat(a).startsWith("redis " + cluster.seed() + " #"));
      }
    }
  }
}
