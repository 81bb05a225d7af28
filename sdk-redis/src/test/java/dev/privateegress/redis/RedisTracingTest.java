package dev.privateegress.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.PrivateEgress;
import dev.privateegress.testing.FakeMetadataServer;
import dev.privateegress.testing.InMemoryTracing;
import dev.privateegress.testing.MutableClock;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import io.micrometer.observation.GlobalObservationConvention;
import io.micrometer.observation.Observation;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;

class RedisTracingTest {
  private static String attr(SpanData span, String key) {
    return span.getAttributes().get(AttributeKey.stringKey(key));
  }

  @Test
  void anIamConnectionIsASpanCoveringAuthWithItsTokenFetchAsAChild() {
    MutableClock clock = MutableClock.start();
    try (InMemoryTracing tracing = new InMemoryTracing();
        FakeMetadataServer md = FakeMetadataServer.start(clock);
        RedisNode n = RedisLauncher.startPlain()) {
      Map<String, String> env = Map.of("GCE_METADATA_HOST", md.hostPort(), "K_SERVICE", "api", "K_REVISION", "api-1",
          "REDIS_URL", n.url(), "REDIS_IAM_AUTH", "true", "PRIVATE_EGRESS_STARTUP_GRACE", "PT0S");
      // The fake metadata server numbers its access tokens: the first one it hands out is the password.
      String token = "ya29.fake-access-token-1";
      n.command("ACL", "SETUSER", "default", "on", "resetpass", ">" + token);
      PrivateEgress egress = PrivateEgress.builder().environment(env).clock(clock)
          .observationRegistry(tracing.registry()).build();
      try (UnifiedJedis redis = PrivateRedis.connect(egress)) {
        assertThat(redis.incr("n")).isEqualTo(1L);
        assertThat(redis.incr("n")).isEqualTo(2L);
      }
      List<SpanData> connects = tracing.spans("redis connect");
      assertThat(connects).hasSize(1);
      SpanData connect = connects.get(0);
      assertThat(connect.getKind()).isEqualTo(SpanKind.CLIENT);
      assertThat(attr(connect, "private_egress.auth")).isEqualTo("iam");
      assertThat(attr(connect, "error.type")).isNull();
      SpanData fetch = tracing.spans("fetch access token").get(0);
      assertThat(fetch.getParentSpanId()).isEqualTo(connect.getSpanId());
      assertThat(tracing.spans("fetch access token")).hasSize(1);
      assertThat(tracing.spans("INCR")).hasSize(2);
      assertThat(tracing.spans("AUTH")).as("AUTH is inside the connection span, never its own").isEmpty();
      assertThat(tracing.allAttributes()).noneMatch(a -> a.contains(token) || a.contains("ya29"));
    }
  }

  @Test
  void eachCommandIsAClientSpanNamedForItWithoutArgumentsOrPassword() {
    try (InMemoryTracing tracing = new InMemoryTracing();
        RedisNode n = RedisLauncher.builder().requirePass("auth-string-7").start()) {
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("REDISHOST", "127.0.0.1", "REDISPORT", Integer.toString(n.port()),
              "REDIS_AUTH", "auth-string-7"))
          .observationRegistry(tracing.registry()).build();
      Observation caller = Observation.start("caller", tracing.registry());
      try (Observation.Scope scope = caller.openScope();
          UnifiedJedis redis = PrivateRedis.connect(egress)) {
        assertThat(redis.incr("visits-secret-key")).isEqualTo(1L);
        redis.set("text", "value-secret");
        assertThatThrownBy(() -> redis.incr("text")).isInstanceOf(JedisDataException.class);
      } finally {
        caller.stop();
      }
      SpanData incr = tracing.spans("INCR").get(0);
      assertThat(incr.getKind()).isEqualTo(SpanKind.CLIENT);
      assertThat(incr.getParentSpanId()).isEqualTo(tracing.spans("caller").get(0).getSpanId());
      assertThat(attr(incr, "db.system.name")).isEqualTo("redis");
      assertThat(attr(incr, "db.operation.name")).isEqualTo("INCR");
      assertThat(attr(incr, "server.address")).isEqualTo("127.0.0.1");
      assertThat(attr(incr, "server.port")).isEqualTo(Integer.toString(n.port()));
      assertThat(attr(incr, "db.namespace")).isEqualTo("0");
      assertThat(attr(incr, "db.response.status_code")).isNull();
      assertThat(tracing.spans("SET")).hasSize(1);

      SpanData failed = tracing.spans("INCR").get(1);
      assertThat(attr(failed, "db.response.status_code")).isEqualTo("ERR");
      assertThat(attr(failed, "error.type")).isEqualTo("ERR");
      assertThat(tracing.allAttributes()).isNotEmpty()
          .noneMatch(a -> a.contains("secret") || a.contains("auth-string-7"));
    }
  }

  /** A team's own names, registered as Micrometer's global convention, replace the SDK's default. */
  static final class TeamCommandConvention extends RedisObservation.DefaultCommandConvention
      implements GlobalObservationConvention<RedisObservation.CommandContext> {
    @Override
    public String getContextualName(RedisObservation.CommandContext context) {
      return "cache " + context.command().toLowerCase(java.util.Locale.ROOT);
    }
  }

  @Test
  void aRegisteredConventionRenamesTheCommandSpans() {
    try (InMemoryTracing tracing = new InMemoryTracing();
        RedisNode n = RedisLauncher.startPlain()) {
      tracing.registry().observationConfig().observationConvention(new TeamCommandConvention());
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("REDIS_URL", n.url(), "PRIVATE_EGRESS_STARTUP_GRACE", "PT0S"))
          .observationRegistry(tracing.registry()).build();
      try (UnifiedJedis redis = PrivateRedis.connect(egress)) {
        redis.incr("n");
      }
      assertThat(tracing.spans("INCR")).isEmpty();
      SpanData incr = tracing.spans("cache incr").get(0);
      assertThat(attr(incr, "db.operation.name")).as("the default's key values kept").isEqualTo("INCR");
    }
  }
}
