package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.testing.FakeMetadataServer;
import dev.privateegress.testing.MutableClock;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The token cache holds 256 audiences; one more must not turn a large share of calls into metadata requests
 * (the old eviction dropped a quarter of the keys in hash order, so the same audiences missed every round:
 * 25 % of calls at 257 audiences). Callers cycle through all audiences, the worst case for the cache.
 */
class TokenCacheEvictionTest {
  private static final int ROUNDS = 10;
  private final MutableClock clock = MutableClock.start();
  private FakeMetadataServer md;

  @BeforeEach
  void start() {
    md = FakeMetadataServer.start(clock);
  }

  @AfterEach
  void stop() {
    md.close();
  }

  @ParameterizedTest(name = "{0} audiences: at most {1} % of later calls fetch")
  @CsvSource({"256, 0", "257, 5", "300, 32"})
  void audiencesBeyondTheCacheCostFetchesInProportion(int audiences, int maxPercent) {
    TokenProvider tokens = PrivateEgress.builder()
        .environment(Map.of("GCE_METADATA_HOST", md.hostPort(), "K_SERVICE", "svc", "K_REVISION", "svc-1"))
        .clock(clock)
        .build()
        .tokens();
    for (int a = 0; a < audiences; a++) {
      tokens.idToken("https://aud-" + a);
    }
    int first = md.identityRequests();
    for (int round = 1; round < ROUNDS; round++) {
      for (int a = 0; a < audiences; a++) {
        tokens.idToken("https://aud-" + a);
      }
    }
    int calls = audiences * (ROUNDS - 1);
    int later = md.identityRequests() - first;
    System.out.println("RELIABILITY token cache " + audiences + " audiences round-robin: first round fetches="
        + first + ", later calls=" + calls + " fetches=" + later + " (" + (100 * later / calls) + " %)");
    assertThat(first).isEqualTo(audiences);
    assertThat(later).isLessThanOrEqualTo(calls * maxPercent / 100);
  }
}
