package dev.privateegress.benchmarks;

import dev.privateegress.PrivateEgress;
import dev.privateegress.redis.PrivateRedis;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.util.Map;
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
 * GET and INCR against one local redis-server (started by {@link RedisLauncher}): the raw Jedis
 * {@link RedisClient} and {@link PrivateRedis#connect} in the same run, so the difference is the SDK's
 * per-command cost (safe executor, idle-sweep check, retry-budget refill).
 *
 * <pre>
 * ./mvnw -o -B -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar RedisBenchmark -f 1 -wi 2 -w 2s -i 3 -r 3s
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RedisBenchmark {
  private RedisNode server;
  private RedisClient raw;
  private UnifiedJedis sdk;

  @Setup(Level.Trial)
  public void setUp() {
    server = RedisLauncher.startPlain();
    raw = RedisClient.builder().hostAndPort(server.host(), server.port()).build();
    PrivateEgress egress = PrivateEgress.builder().environment(Map.of("REDIS_URL", server.url())).build();
    sdk = PrivateRedis.connect(egress);
    raw.set("bench:key", "value-0123456789");
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    raw.close();
    sdk.close();
    server.close();
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
