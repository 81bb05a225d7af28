package dev.privateegress.benchmarks;

import dev.privateegress.redis.PrivateRedis;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * GET and INCR against one redis-server: the raw Jedis {@link RedisClient} (default settings) and
 * {@link PrivateRedis#connect} in the same run, so the difference is the SDK's per-command work. The server is
 * the redis-server started by {@code benchmarks/run.sh} ({@code -Dbench.redis.port}); without it one started by
 * {@link RedisLauncher}. Either way it is another process, so {@code -prof gc} counts the client only.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RedisBenchmark {
  private RedisNode server;
  RedisClient raw;
  UnifiedJedis sdk;

  @Setup(Level.Trial)
  public void setUp() {
    String host = "127.0.0.1";
    int port = Loopback.REDIS_PORT;
    if (port == 0) {
      server = RedisLauncher.startPlain();
      host = server.host();
      port = server.port();
    }
    raw = RedisClient.builder().hostAndPort(host, port).build();
    sdk = PrivateRedis.connect(Loopback.egress(null, false, "redis://" + host + ":" + port));
    raw.set("bench:key", "value-0123456789");
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    raw.close();
    sdk.close();
    if (server != null) {
      server.close();
    }
  }

  @Benchmark
  public String getRaw() {
    return raw.get("bench:key");
  }

  @Benchmark
  public String getSdk() {
    return sdk.get("bench:key");
  }

  @Benchmark
  public long incrRaw() {
    return raw.incr("bench:raw");
  }

  @Benchmark
  public long incrSdk() {
    return sdk.incr("bench:sdk");
  }
}
