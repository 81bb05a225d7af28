package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.PrivateEgress;
import dev.privateegress.Token;
import dev.privateegress.testing.FakeMetadataServer;
import dev.privateegress.testing.MutableClock;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Connection;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.util.Pool;

/** IAM auth with access tokens from the fake metadata server; Redis' default user's password plays Memorystore. */
class IamAuthTest {

  private static PrivateEgress egress(FakeMetadataServer md, MutableClock clock, RedisNode n,
      Fixtures.Events events) {
    return PrivateEgress.builder()
        .environment(Map.of("GCE_METADATA_HOST", md.hostPort(), "K_SERVICE", "api", "K_REVISION", "api-1",
            "REDIS_URL", n.url(), "REDIS_IAM_AUTH", "true", "PRIVATE_EGRESS_STARTUP_GRACE", "PT0S"))
        .clock(clock)
        .listener(events)
        .build();
  }

  @Test
  void newConnectionsUseTheCurrentCachedTokenAcrossARotation() {
    MutableClock clock = MutableClock.start();
    try (FakeMetadataServer md = FakeMetadataServer.start(clock).tokenLifetime(Duration.ofMinutes(10));
        RedisNode n = RedisLauncher.startPlain()) {
      PrivateEgress egress = egress(md, clock, n, new Fixtures.Events());
      Token first = egress.tokens().accessToken();
      n.command("ACL", "SETUSER", "default", "on", "resetpass", ">" + first.value());
      try (UnifiedJedis redis = PrivateRedis.connect(egress)) {
        assertThat(redis.set("k", "v1")).isEqualTo("OK");
        Pool<Connection> pool = Fixtures.pool(redis);
        Fixtures.openConnections(redis, 4); // four new connections, one token
        assertThat(md.accessTokenRequests()).isEqualTo(1);

        // 7 of 10 minutes later fewer than 3m45s remain: core refreshes, Memorystore accepts only the new token.
        clock.advance(Duration.ofMinutes(7));
        Token second = egress.tokens().accessToken();
        assertThat(second.value()).isNotEqualTo(first.value());
        n.command("ACL", "SETUSER", "default", "resetpass", ">" + second.value());
        n.command("CLIENT", "KILL", "USER", "default"); // drop connections that authenticated with the old token

        // The pooled connections are dead: a read may fail once (ambiguous) and is re-run on a new connection.
        String got = PrivateRedis.retrying(egress, redis, r -> r.get("k"));
        assertThat(got).isEqualTo("v1");
        pool.clear(); // drop the idle connections the server killed, so the next four are new
        Fixtures.openConnections(redis, 4);
        assertThat(redis.set("k", "v2")).isEqualTo("OK");
        assertThat(md.accessTokenRequests()).as("no metadata call per connection").isEqualTo(2);
        assertThat(pool.getCreatedCount()).isGreaterThanOrEqualTo(6);
      }
    }
  }

  @Test
  void rejectedTokenNamesTheMissingRole() {
    MutableClock clock = MutableClock.start();
    Fixtures.Events events = new Fixtures.Events();
    try (FakeMetadataServer md = FakeMetadataServer.start(clock);
        RedisNode n = RedisLauncher.builder().requirePass("not-a-token").start();
        UnifiedJedis redis = PrivateRedis.connect(egress(md, clock, n, events))) {
      assertThatThrownBy(redis::ping).isInstanceOf(JedisAccessControlException.class)
          .hasMessageContaining("roles/redis.dbConnectionUser")
          .hasMessageNotContaining("ya29.");
      assertThat(events.authFailures).singleElement().asString().contains("roles/redis.dbConnectionUser");
    }
  }

  @Test
  void noTokenIsExplained() {
    MutableClock clock = MutableClock.start();
    FakeMetadataServer gone = FakeMetadataServer.start(clock);
    gone.close(); // GCE_METADATA_HOST points at a closed port
    try (RedisNode n = RedisLauncher.startPlain();
        UnifiedJedis redis = PrivateRedis.connect(egress(gone, clock, n, new Fixtures.Events()))) {
      assertThatThrownBy(redis::ping).isInstanceOf(redis.clients.jedis.exceptions.JedisException.class)
          .hasMessageContaining("needs the service account's access token");
    }
  }

  @Test
  void aTokenTheServerRefusesForcesOneRefreshAtMostEveryFiveSeconds() {
    MutableClock clock = MutableClock.start();
    Fixtures.Events events = new Fixtures.Events();
    try (FakeMetadataServer md = FakeMetadataServer.start(clock).tokenLifetime(Duration.ofMinutes(60));
        RedisNode n = RedisLauncher.startPlain()) {
      PrivateEgress egress = egress(md, clock, n, events);
      Token first = egress.tokens().accessToken();
      n.command("ACL", "SETUSER", "default", "on", "resetpass", ">" + first.value());
      try (UnifiedJedis redis = PrivateRedis.connect(egress)) {
        assertThat(redis.set("k", "v1")).isEqualTo("OK");
        // The instance's ACL moves on to the next token the metadata server will hand out, while the cached
        // one still has most of an hour to live.
        String next = "ya29.fake-access-token-" + (md.accessTokenRequests() + 1);
        n.command("ACL", "SETUSER", "default", "resetpass", ">" + next);
        n.command("CLIENT", "KILL", "USER", "default");
        Fixtures.pool(redis).clear(); // the next command needs a new connection, hence AUTH

        assertThat(redis.set("k", "v2")).as("refused once, refreshed once, connected").isEqualTo("OK");
        assertThat(md.accessTokenRequests()).isEqualTo(2);
        assertThat(events.authFailures).isEmpty();

        // A token that is never accepted: one forced refresh per staleRetryInterval (5 s), however many tries.
        n.command("ACL", "SETUSER", "default", "resetpass", ">never-issued");
        n.command("CLIENT", "KILL", "USER", "default");
        Fixtures.pool(redis).clear();
        for (int i = 0; i < 5; i++) {
          assertThatThrownBy(() -> redis.set("k", "v3")).isInstanceOf(JedisAccessControlException.class)
              .hasMessageContaining("roles/redis.dbConnectionUser").hasMessageNotContaining("ya29.");
        }
        assertThat(md.accessTokenRequests()).as("within 5 s of the last forced refresh").isEqualTo(2);
        clock.advance(Duration.ofSeconds(6));
        assertThatThrownBy(() -> redis.set("k", "v3")).isInstanceOf(JedisAccessControlException.class);
        assertThatThrownBy(() -> redis.set("k", "v3")).isInstanceOf(JedisAccessControlException.class);
        assertThat(md.accessTokenRequests()).as("one more forced refresh 6 s later").isEqualTo(3);
      }
    }
  }

  @Test
  void retryingFailsFastWhenNoTokenCanBeHadAndNamesTheMetadataServer() {
    MutableClock clock = MutableClock.start();
    try (FakeMetadataServer md = FakeMetadataServer.start(clock).failNext(1_000, 503,
            "instance/service-accounts/default/token");
        RedisNode n = RedisLauncher.startPlain()) {
      Fixtures.Events events = new Fixtures.Events();
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("GCE_METADATA_HOST", md.hostPort(), "K_SERVICE", "api", "K_REVISION", "api-1",
              "REDIS_URL", n.url(), "REDIS_IAM_AUTH", "true", "PRIVATE_EGRESS_STARTUP_GRACE", "PT0S"))
          .clock(clock).listener(events)
          .tokenOptions(dev.privateegress.TokenOptions.defaults().withRetries(2, Duration.ofMillis(10),
              Duration.ofMillis(20), Duration.ofSeconds(2)))
          .build();
      try (UnifiedJedis redis = PrivateRedis.connect(egress)) {
        Throwable plain = org.assertj.core.api.Assertions.catchThrowable(redis::ping);
        int plainFetches = md.accessTokenRequests();
        Throwable retried = org.assertj.core.api.Assertions.catchThrowable(
            () -> PrivateRedis.retrying(egress, redis, UnifiedJedis::ping));
        assertThat(md.accessTokenRequests() - plainFetches).as("retrying adds no token fetches")
            .isEqualTo(plainFetches);
        assertThat(events.retries).as("a missing token is not retried").isEmpty();
        for (Throwable t : List.of(plain, retried)) {
          assertThat(t).isInstanceOf(redis.clients.jedis.exceptions.JedisException.class)
              .hasMessageContaining("IAM auth to redis 127.0.0.1:" + n.port() + " got no access token")
              .hasMessageContaining("metadata server").hasMessageContaining("REDIS_IAM_AUTH")
              .hasMessageNotContaining("cannot connect to redis");
        }
      }
    }
  }

  @Test
  void clusterConnectWithoutATokenThrowsAnExplainedJedisException() {
    MutableClock clock = MutableClock.start();
    FakeMetadataServer gone = FakeMetadataServer.start(clock);
    gone.close();
    try (dev.privateegress.testing.RedisCluster cluster = RedisLauncher.cluster(1).start()) {
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("GCE_METADATA_HOST", gone.hostPort(), "K_SERVICE", "api", "K_REVISION", "api-1",
              "REDIS_URL", "redis://" + cluster.seed(), "REDIS_CLUSTER", "true", "REDIS_IAM_AUTH", "true",
              "PRIVATE_EGRESS_STARTUP_GRACE", "PT0S"))
          .clock(clock)
          .tokenOptions(dev.privateegress.TokenOptions.defaults().withRetries(1, Duration.ofMillis(10),
              Duration.ofMillis(20), Duration.ofSeconds(2)))
          .build();
      assertThatThrownBy(() -> PrivateRedis.connect(egress))
          .isInstanceOf(redis.clients.jedis.exceptions.JedisException.class)
          .hasMessageContaining("REDIS_IAM_AUTH").hasMessageContaining("metadata server");
    }
  }

}
