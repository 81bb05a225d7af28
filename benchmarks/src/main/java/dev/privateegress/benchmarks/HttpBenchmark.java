package dev.privateegress.benchmarks;

import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryBudget;
import dev.privateegress.http.PrivateHttp;
import dev.privateegress.testing.FakeMetadataServer;
import dev.privateegress.testing.NoDelayServerSocketFactory;
import java.io.IOException;
import java.util.Map;
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
 * One GET against a loopback MockWebServer, keep-alive, in the same run:
 * <ul>
 *   <li>{@code raw}: {@code new OkHttpClient()} to {@code http://127.0.0.1:PORT/};
 *   <li>{@code sdk}: {@code PrivateHttp.newClient(egress)} to {@code http://my.api.private:PORT/} through a
 *       {@code PRIVATE_EGRESS_HOSTS} override (no token: the host is not in the audience map);
 *   <li>{@code sdkWithToken}: the same with the host in {@code PRIVATE_EGRESS_AUDIENCES}, so every request
 *       carries an ID token from the (cached) token provider, fetched once from a FakeMetadataServer.
 * </ul>
 * The server's sockets use TCP_NODELAY; without it every keep-alive exchange on loopback waits ~40 ms for a
 * delayed ACK and the comparison would measure only that.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HttpBenchmark {
  private MockWebServer server;
  private FakeMetadataServer metadata;
  private OkHttpClient raw;
  private OkHttpClient sdk;
  private OkHttpClient sdkWithToken;
  private Request rawRequest;
  private Request sdkRequest;

  @Setup(Level.Trial)
  public void start() throws IOException {
    server = new MockWebServer();
    server.setServerSocketFactory(new NoDelayServerSocketFactory());
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        return new MockResponse.Builder().code(200).body("{\"ok\":true}").build();
      }
    });
    server.start();
    metadata = FakeMetadataServer.start();

    raw = new OkHttpClient();
    PrivateEgress plain = PrivateEgress.builder()
        .environment(Map.of("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1"))
        .retryBudget(RetryBudget.unlimited())
        .build();
    sdk = PrivateHttp.newClient(plain);
    PrivateEgress tokens = PrivateEgress.builder()
        .environment(Map.of(
            "PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1",
            "PRIVATE_EGRESS_AUDIENCES", "my.api.private=https://my-api.example.com",
            "GCE_METADATA_HOST", metadata.hostPort(),
            "K_SERVICE", "bench",
            "K_REVISION", "bench-00001"))
        .retryBudget(RetryBudget.unlimited())
        .build();
    sdkWithToken = PrivateHttp.newClient(tokens);
    rawRequest = new Request.Builder().url("http://127.0.0.1:" + server.getPort() + "/items").build();
    sdkRequest = new Request.Builder().url("http://my.api.private:" + server.getPort() + "/items").build();
  }

  @TearDown(Level.Trial)
  public void stop() {
    for (OkHttpClient c : new OkHttpClient[] {raw, sdk, sdkWithToken}) {
      c.connectionPool().evictAll();
      c.dispatcher().executorService().shutdown();
    }
    server.close();
    metadata.close();
  }

  private static int get(OkHttpClient client, Request request) throws IOException {
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
}
