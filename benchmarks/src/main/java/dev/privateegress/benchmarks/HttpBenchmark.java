package dev.privateegress.benchmarks;

import dev.privateegress.http.PrivateHttp;
import dev.privateegress.testing.FakeMetadataServer;
import dev.privateegress.testing.NoDelayServerSocketFactory;
import io.micrometer.core.instrument.binder.okhttp3.OkHttpObservationInterceptor;
import io.micrometer.observation.ObservationRegistry;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One keep-alive GET of an 11-byte JSON body, in the same run:
 * <ul>
 *   <li>{@code raw}: {@code new OkHttpClient()} to {@code http://127.0.0.1:PORT/items};
 *   <li>{@code sdk}: {@code PrivateHttp.newClient(egress)} to {@code http://my.api.private:PORT/items} through a
 *       {@code PRIVATE_EGRESS_HOSTS} override (no token: the host is not in the audience map);
 *   <li>{@code sdkWithToken}: the same with the host in {@code PRIVATE_EGRESS_AUDIENCES}, so every request
 *       carries an ID token from the (cached) token provider, fetched once from the metadata server;
 *   <li>{@code floor}: the floor of OkHttp's interceptor model for the same job, hand-written: an application
 *       interceptor that looks the cached token up and a network interceptor that puts it on the wire
 *       ({@code request.newBuilder().header(...)}), the least any interceptor-based SDK allocates;
 *       {@code floorNoToken}: the same pair passing the request through. The SDK's own share is
 *       {@code sdkWithToken - floor} and {@code sdk - floorNoToken};
 *   <li>{@code sdkNoopRegistry} / {@code sdkRegistryNoop}: the SDK given an {@code ObservationRegistry} without
 *       handlers / {@code ObservationRegistry.NOOP}; {@code sdkTraced}: tracing every attempt; {@code rawTraced}:
 *       OkHttp with Micrometer's {@code OkHttpObservationInterceptor} on the same tracer.
 * </ul>
 * The server is the nginx started by {@code benchmarks/run.sh} ({@code -Dbench.http.port}), in another
 * process so that {@code -prof gc} counts the client's allocations only; without it, an in-JVM MockWebServer
 * with TCP_NODELAY sockets (without that, each keep-alive exchange on loopback waits ~40 ms for a delayed ACK).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HttpBenchmark {
  private MockWebServer server;
  private FakeMetadataServer metadata;
  OkHttpClient raw;
  OkHttpClient sdk;
  OkHttpClient sdkWithToken;
  /** The application + network interceptor pair, with and without a cached token header. */
  OkHttpClient floor;
  OkHttpClient floorNoToken;
  /** The SDK given a registry with no handlers (what an application without tracing has): must cost nothing. */
  OkHttpClient sdkNoopRegistry;
  /** The SDK given {@code ObservationRegistry.NOOP}: must cost nothing either. */
  OkHttpClient sdkRegistryNoop;
  /** The SDK tracing each attempt, and beside it OkHttp with Micrometer's own interceptor, on the same tracer. */
  OkHttpClient sdkTraced;
  OkHttpClient rawTraced;
  private Tracing tracing;
  Request rawRequest;
  Request sdkRequest;

  @Setup(Level.Trial)
  public void start() throws IOException {
    int port = Loopback.HTTP_PORT;
    if (port == 0) {
      server = new MockWebServer();
      server.setServerSocketFactory(new NoDelayServerSocketFactory());
      server.setDispatcher(new Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest request) {
          return new MockResponse.Builder().code(200).body("{\"ok\":true}").build();
        }
      });
      server.start();
      port = server.getPort();
    }
    if (Loopback.METADATA == null) {
      metadata = FakeMetadataServer.start();
    }
    String md = Loopback.metadataHostPort(metadata);
    raw = new OkHttpClient();
    sdk = PrivateHttp.newClient(Loopback.egress(md, false, null));
    sdkWithToken = PrivateHttp.newClient(Loopback.egress(md, true, null));
    floor = floor(true);
    floorNoToken = floor(false);
    sdkNoopRegistry = PrivateHttp.newClient(Loopback.egress(md, false, null, ObservationRegistry.create()));
    sdkRegistryNoop = PrivateHttp.newClient(Loopback.egress(md, false, null, ObservationRegistry.NOOP));
    tracing = new Tracing();
    sdkTraced = PrivateHttp.newClient(Loopback.egress(md, false, null, tracing.registry));
    rawTraced = new OkHttpClient.Builder()
        .addInterceptor(OkHttpObservationInterceptor.builder(tracing.registry, "okhttp.requests").build())
        .build();
    rawRequest = new Request.Builder().url("http://127.0.0.1:" + port + "/items").build();
    sdkRequest = new Request.Builder().url("http://" + Loopback.HOST + ":" + port + "/items").build();
    // the token is fetched here, not in the first measured call
    get(sdkWithToken, sdkRequest);
  }

  @TearDown(Level.Trial)
  public void stop() {
    for (OkHttpClient c : new OkHttpClient[] {raw, sdk, sdkWithToken, floor, floorNoToken, sdkNoopRegistry,
        sdkRegistryNoop, sdkTraced, rawTraced}) {
      c.connectionPool().evictAll();
      c.dispatcher().executorService().shutdown();
    }
    tracing.provider.close();
    if (server != null) {
      server.close();
    }
    if (metadata != null) {
      metadata.close();
    }
  }

  /** A cached header value (built once, as the SDK caches {@code "Bearer " + token}). */
  private static final String CACHED_BEARER = "Bearer " + "x".repeat(700);
  /** The token the application interceptor looked up, handed to the network interceptor of the same call. */
  private static final ThreadLocal<String> LOOKED_UP = new ThreadLocal<>();

  /**
   * The least an SDK living in OkHttp's interceptor chain allocates to put a cached token on the wire: one
   * application interceptor (where the call's token is looked up, here a field read) and one network
   * interceptor (where the header is added, on the request for this connection); no retry, no state.
   */
  private static OkHttpClient floor(boolean token) {
    return new OkHttpClient.Builder()
        .addInterceptor(chain -> {
          LOOKED_UP.set(token ? CACHED_BEARER : null);
          try {
            return chain.proceed(chain.request());
          } finally {
            LOOKED_UP.set(null);
          }
        })
        .addNetworkInterceptor(chain -> {
          String bearer = LOOKED_UP.get();
          Request request = chain.request();
          return chain.proceed(bearer == null ? request : request.newBuilder().header("Authorization", bearer).build());
        })
        .build();
  }

  static int get(OkHttpClient client, Request request) throws IOException {
    try (Response r = client.newCall(request).execute()) {
      if (r.code() != 200) {
        throw new IOException("unexpected " + r.code());
      }
      return r.body().string().length();
    }
  }

  @Benchmark
  public int raw() throws IOException {
    return get(raw, rawRequest);
  }

  @Benchmark
  public int sdk() throws IOException {
    return get(sdk, sdkRequest);
  }

  @Benchmark
  public int sdkWithToken() throws IOException {
    return get(sdkWithToken, sdkRequest);
  }

  @Benchmark
  public int floor() throws IOException {
    return get(floor, rawRequest);
  }

  @Benchmark
  public int floorNoToken() throws IOException {
    return get(floorNoToken, rawRequest);
  }

  @Benchmark
  public int sdkRegistryNoop() throws IOException {
    return get(sdkRegistryNoop, sdkRequest);
  }

  @Benchmark
  public int sdkNoopRegistry() throws IOException {
    return get(sdkNoopRegistry, sdkRequest);
  }

  @Benchmark
  public int sdkTraced() throws IOException {
    return get(sdkTraced, sdkRequest);
  }

  @Benchmark
  public int rawTraced() throws IOException {
    return get(rawTraced, rawRequest);
  }
}
