package dev.privateegress.benchmarks;

import com.google.auth.oauth2.ComputeEngineCredentials;
import com.google.auth.oauth2.IdTokenCredentials;
import dev.privateegress.Token;
import dev.privateegress.TokenProvider;
import java.io.IOException;
import java.net.URI;
import java.util.List;
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

/**
 * A cached ID-token lookup, what every token-bearing request pays:
 * <ul>
 *   <li>{@code sdkCached}: {@code egress.tokens().idToken(audience)} on a warm cache;
 *   <li>{@code rawCached}: a hand-wired google-auth {@code IdTokenCredentials} over
 *       {@code ComputeEngineCredentials}, {@code getRequestMetadata(uri)} (what google-auth's own HTTP
 *       adapters call per request) on a warm cache.
 * </ul>
 * Both read tokens from the metadata server process started by {@code benchmarks/run.sh}: the SDK through its
 * {@code GCE_METADATA_HOST} setting, google-auth through the process environment variable of that name, which
 * run.sh exports. Without a loopback {@code GCE_METADATA_HOST} the setup refuses to start, so nothing ever
 * reaches a real metadata address.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TokenBenchmark {
  private TokenProvider tokens;
  private IdTokenCredentials raw;
  private URI uri;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    String md = System.getenv("GCE_METADATA_HOST");
    if (md == null || !md.startsWith("127.0.0.1:")) {
      throw new IllegalStateException("TokenBenchmark needs GCE_METADATA_HOST=127.0.0.1:PORT (a fake metadata "
          + "server, see benchmarks/run.sh), was " + md);
    }
    tokens = Loopback.egress(md, true, null).tokens();
    tokens.idToken(Loopback.AUDIENCE);
    raw = IdTokenCredentials.newBuilder()
        .setIdTokenProvider(ComputeEngineCredentials.create())
        .setTargetAudience(Loopback.AUDIENCE)
        .build();
    uri = URI.create("http://" + Loopback.HOST + "/items");
    raw.getRequestMetadata(uri);
  }

  @Benchmark
  public Token sdkCached() {
    return tokens.idToken(Loopback.AUDIENCE);
  }

  @Benchmark
  public Map<String, List<String>> rawCached() throws IOException {
    return raw.getRequestMetadata(uri);
  }
}
