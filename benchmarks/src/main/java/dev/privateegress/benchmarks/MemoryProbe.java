package dev.privateegress.benchmarks;

import dev.privateegress.PrivateEgress;
import dev.privateegress.http.PrivateHttp;
import dev.privateegress.redis.PrivateRedis;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * Heap retained after a full GC by one configuration plus one HTTP and one Redis client, after N calls of each
 * (an HTTP GET and a Redis GET per call), against the raw clients in a separate JVM: {@code sdk} is
 * {@code PrivateEgress} (ID token for the HTTP host) + {@code PrivateHttp.newClient} + {@code PrivateRedis.connect};
 * {@code raw} is {@code new OkHttpClient()} + Jedis {@code RedisClient}. Retained = live heap bytes (the
 * total of a class histogram, taken after a full collection) minus the same figure before the first client
 * class was touched, so class-level statics count too. Prints one line:
 * {@code mode retainedAfterSetup retainedAfterN1 retainedAfterN2 …} in bytes.
 *
 * <pre>
 * java -XX:+UseSerialGC -Dbench.http.port=… -Dbench.redis.port=… -Dbench.metadata=… -cp benchmarks.jar \
 *     dev.privateegress.benchmarks.MemoryProbe sdk 10000,100000
 * </pre>
 */
public final class MemoryProbe {
  private MemoryProbe() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    long[] checkpoints = Arrays.stream(args[1].split(",")).mapToLong(Long::parseLong).toArray();
    long base = usedAfterGc();
    String redisUrl = "redis://127.0.0.1:" + Loopback.REDIS_PORT;
    OkHttpClient http;
    UnifiedJedis redis;
    Request request;
    if (mode.equals("sdk")) {
      PrivateEgress egress = Loopback.egress(Loopback.METADATA, true, redisUrl);
      http = PrivateHttp.newClient(egress);
      redis = PrivateRedis.connect(egress);
      request = new Request.Builder().url("http://" + Loopback.HOST + ":" + Loopback.HTTP_PORT + "/items").build();
    } else {
      http = new OkHttpClient();
      redis = RedisClient.builder().hostAndPort("127.0.0.1", Loopback.REDIS_PORT).build();
      request = new Request.Builder().url("http://127.0.0.1:" + Loopback.HTTP_PORT + "/items").build();
    }
    redis.set("bench:mem", "value-0123456789");
    HttpBenchmark.get(http, request);
    redis.get("bench:mem");
    StringBuilder out = new StringBuilder(mode).append(' ').append(usedAfterGc() - base);
    long done = 1;
    for (long target : checkpoints) {
      for (; done < target; done++) {
        HttpBenchmark.get(http, request);
        redis.get("bench:mem");
      }
      out.append(' ').append(usedAfterGc() - base);
    }
    System.out.println(out);
    if (Boolean.getBoolean("bench.histogram")) {
      // what is retained, by class, to standard error
      System.err.println(histogram());
    }
    // keep the clients reachable until the last measurement
    http.connectionPool().evictAll();
    redis.close();
  }

  /**
   * Live heap bytes: the total of a class histogram, which first runs a full collection (what
   * {@code jcmd PID GC.class_histogram} prints). Unlike the heap pools' "used" figure it counts live objects
   * only, whatever the collector leaves in its spaces.
   */
  private static long usedAfterGc() throws Exception {
    String histogram = histogram();
    for (String line : histogram.split("\n")) {
      if (line.startsWith("Total")) {
        String[] parts = line.trim().split("\\s+");
        return Long.parseLong(parts[2]);
      }
    }
    throw new IllegalStateException("no Total line in the class histogram");
  }

  private static String histogram() throws Exception {
    return (String) ManagementFactory.getPlatformMBeanServer().invoke(
        new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
        new Object[] {new String[0]}, new String[] {String[].class.getName()});
  }
}
