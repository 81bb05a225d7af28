package dev.privateegress.benchmarks;

import com.google.auth.oauth2.ComputeEngineCredentials;
import com.google.auth.oauth2.IdTokenCredentials;
import dev.privateegress.PrivateEgress;
import dev.privateegress.http.PrivateHttp;
import java.time.Duration;
import java.time.Instant;
import okhttp3.OkHttpClient;
import okhttp3.Request;

/**
 * Time to the first token-bearing response in a fresh JVM (what a cold start pays), class loading included:
 * <ul>
 *   <li>{@code sdk}: {@code PrivateEgress.fromEnvironment()}, {@code PrivateHttp.newClient}, one GET to a host in
 *       {@code PRIVATE_EGRESS_AUDIENCES} (the token is minted on that call);
 *   <li>{@code raw}: a hand-wired {@code IdTokenCredentials} over {@code ComputeEngineCredentials.create()},
 *       {@code refresh()}, a {@code new OkHttpClient()} and one GET with {@code Authorization: Bearer …}.
 * </ul>
 * Both read the metadata server from {@code GCE_METADATA_HOST} (run.sh: the fake one, in its own process).
 * Prints milliseconds from {@code main} and from process start.
 */
public final class FirstTokenProbe {
  private FirstTokenProbe() {}

  public static void main(String[] args) throws Exception {
    long t0 = System.nanoTime();
    int port = Integer.parseInt(args[1]);
    int length;
    if (args[0].equals("sdk")) {
      OkHttpClient client = PrivateHttp.newClient(PrivateEgress.fromEnvironment());
      length = HttpBenchmark.get(client, new Request.Builder().url("http://my.api.private:" + port + "/items").build());
    } else {
      IdTokenCredentials credentials = IdTokenCredentials.newBuilder()
          .setIdTokenProvider(ComputeEngineCredentials.create())
          .setTargetAudience("https://my-api.example.com")
          .build();
      credentials.refresh();
      OkHttpClient client = new OkHttpClient();
      length = HttpBenchmark.get(client, new Request.Builder().url("http://127.0.0.1:" + port + "/items")
          .header("Authorization", "Bearer " + credentials.getIdToken().getTokenValue()).build());
    }
    double fromMain = (System.nanoTime() - t0) / 1e6;
    long fromStart = ProcessHandle.current().info().startInstant()
        .map(s -> Duration.between(s, Instant.now()).toMillis()).orElse(-1L);
    System.out.printf(java.util.Locale.ROOT, "%.1f %d %d%n", fromMain, fromStart, length);
    System.exit(0);
  }
}
