package dev.privateegress.benchmarks;

import dev.privateegress.PrivateEgress;
import dev.privateegress.PrivateEgressBuilder;
import dev.privateegress.testing.FakeMetadataServer;
import io.micrometer.observation.ObservationRegistry;
import java.util.HashMap;
import java.util.Map;

/**
 * Where the servers of a run live. {@code benchmarks/run.sh} starts nginx, redis-server and a fake metadata
 * server in their own processes (so that their allocations never count against the client) and passes
 * their ports as system properties; without them a benchmark starts in-JVM stand-ins.
 */
final class Loopback {
  /** Port of the nginx started by run.sh ({@code -Dbench.http.port}), or 0. */
  static final int HTTP_PORT = Integer.getInteger("bench.http.port", 0);
  /** Port of the redis-server started by run.sh ({@code -Dbench.redis.port}), or 0. */
  static final int REDIS_PORT = Integer.getInteger("bench.redis.port", 0);
  /** {@code 127.0.0.1:PORT} of the metadata server process started by run.sh ({@code -Dbench.metadata}), or null. */
  static final String METADATA = System.getProperty("bench.metadata");

  static final String HOST = "my.api.private";
  static final String AUDIENCE = "https://my-api.example.com";

  private Loopback() {}

  /** The metadata server's {@code host:port}: run.sh's process, else {@code started} (which must then be non-null). */
  static String metadataHostPort(FakeMetadataServer started) {
    return METADATA != null ? METADATA : started.hostPort();
  }

  /**
   * An SDK configuration as on Cloud Run: {@value #HOST} resolves to 127.0.0.1 through an override and, when
   * {@code withToken}, is in the audience map, so each request carries an ID token from the metadata server.
   */
  static PrivateEgress egress(String metadataHostPort, boolean withToken, String redisUrl) {
    return egress(metadataHostPort, withToken, redisUrl, null);
  }

  /** @param registry traces the egress' calls, or null */
  static PrivateEgress egress(String metadataHostPort, boolean withToken, String redisUrl,
      ObservationRegistry registry) {
    Map<String, String> env = new HashMap<>();
    env.put("PRIVATE_EGRESS_HOSTS", HOST + "=127.0.0.1");
    env.put("PRIVATE_EGRESS_LOOKUP", "off");
    if (metadataHostPort != null) {
      env.put("GCE_METADATA_HOST", metadataHostPort);
      env.put("K_SERVICE", "bench");
      env.put("K_REVISION", "bench-00001");
    }
    if (withToken) {
      env.put("PRIVATE_EGRESS_AUDIENCES", HOST + "=" + AUDIENCE);
    }
    if (redisUrl != null) {
      env.put("REDIS_URL", redisUrl);
    }
    // default retry budgets (one per target), as a service gets them
    PrivateEgressBuilder b = PrivateEgress.builder().environment(env);
    return registry == null ? b.build() : b.observationRegistry(registry).build();
  }

  static long longArg(String[] args, String name, long dflt) {
    String v = arg(args, name);
    return v == null ? dflt : Long.parseLong(v.replace("_", ""));
  }

  static String arg(String[] args, String name) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return null;
  }
}
