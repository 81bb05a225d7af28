package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.testing.FakeMetadataServer;
import dev.privateegress.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Tokens from the metadata server, against a real FakeMetadataServer on loopback and a hand-moved clock. */
class MetadataTokensTest {
  private static final String A = "https://a-abc-uc.a.run.app";
  private static final String B = "https://b-abc-uc.a.run.app";
  private static final String C = "https://c.internal.example";

  private final MutableClock clock = MutableClock.start();
  private final RecordingListener listener = new RecordingListener();
  private FakeMetadataServer md;

  @BeforeEach
  void start() {
    md = FakeMetadataServer.start(clock);
  }

  @AfterEach
  void stop() {
    md.close();
  }

  private TokenProvider tokens(TokenOptions options) {
    return PrivateEgress.builder()
        .environment(Map.of("GCE_METADATA_HOST", md.hostPort(), "K_SERVICE", "svc", "K_REVISION", "svc-1"))
        .clock(clock)
        .listener(listener)
        .tokenOptions(options)
        .build()
        .tokens();
  }

  private TokenProvider tokens() {
    return tokens(TokenOptions.defaults());
  }

  @Test
  void tenThousandSequentialRequestsForOneAudienceMakeOneMetadataCall() {
    TokenProvider tokens = tokens();
    Token first = tokens.idToken(A);
    for (int i = 0; i < 10_000; i++) {
      assertThat(tokens.idToken(A)).isSameAs(first);
    }
    assertThat(md.identityRequests()).isEqualTo(1);
    assertThat(md.identityRequests(A)).isEqualTo(1);
    assertThat(listener.fetches).hasSize(1);
    assertThat(listener.fetches.get(0).kind()).isEqualTo("id");
    assertThat(listener.fetches.get(0).audience()).isEqualTo(A);
  }

  @Test
  void threeAudiencesMakeThreeCalls() {
    TokenProvider tokens = tokens();
    for (int i = 0; i < 3_000; i++) {
      for (String aud : List.of(A, B, C)) {
        assertThat(tokens.idToken(aud).value()).isNotEmpty();
      }
    }
    assertThat(md.identityRequests()).isEqualTo(3);
    assertThat(md.identityRequests(A)).isEqualTo(1);
    assertThat(md.identityRequests(B)).isEqualTo(1);
    assertThat(md.identityRequests(C)).isEqualTo(1);
    assertThat(tokens.idToken(A)).isNotEqualTo(tokens.idToken(B));
  }

  @Test
  void expiryComesFromTheJwtExpClaim() {
    md.tokenLifetime(Duration.ofMinutes(20));
    Token t = tokens().idToken(A);
    assertThat(t.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(20)));
  }

  @Test
  void staleAt256ConcurrentCallersMakesExactlyOneCallAndEveryoneGetsAToken() throws Exception {
    TokenProvider tokens = tokens();
    Token old = tokens.idToken(A);
    clock.advance(Duration.ofMinutes(60).minus(Duration.ofSeconds(224))); // 3m44s left: stale
    // The refresh stays in flight long enough for the other callers to arrive even on a loaded machine.
    md.latency(Duration.ofSeconds(2));
    List<Token> got = race(256, () -> tokens.idToken(A));
    assertThat(md.identityRequests(A)).isEqualTo(2);
    assertThat(got).hasSize(256).allSatisfy(t -> {
      assertThat(t).isNotNull();
      assertThat(t.remaining(clock.instant())).isPositive();
    });
    Token fresh = tokens.idToken(A);
    assertThat(fresh).isNotEqualTo(old);
    assertThat(got).contains(fresh);
    assertThat(got.stream().filter(t -> t.equals(old)).count()).isGreaterThan(0);
    assertThat(md.identityRequests(A)).isEqualTo(2);
  }

  @Test
  void expiredAt256ConcurrentCallersMakesExactlyOneCallAndEveryoneWaitsForIt() throws Exception {
    TokenProvider tokens = tokens();
    tokens.idToken(A);
    clock.advance(Duration.ofMinutes(61));
    md.latency(Duration.ofMillis(300));
    List<Token> got = race(256, () -> tokens.idToken(A));
    assertThat(md.identityRequests(A)).isEqualTo(2);
    assertThat(got).hasSize(256).allSatisfy(t -> assertThat(t).isEqualTo(got.get(0)));
    assertThat(got.get(0).expiresAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
  }

  @Test
  void firstRequestFrom256ThreadsMakesOneCall() throws Exception {
    TokenProvider tokens = tokens();
    md.latency(Duration.ofMillis(300));
    List<Token> got = race(256, tokens::accessToken);
    assertThat(md.accessTokenRequests()).isEqualTo(1);
    assertThat(got).allSatisfy(t -> assertThat(t).isEqualTo(got.get(0)));
  }

  @Test
  void refreshedWhenThreeMinutesLeftButNotBeforeTheMargin() {
    TokenProvider tokens = tokens();
    Token first = tokens.idToken(A);
    clock.advance(Duration.ofMinutes(56)); // 4 minutes left: fresh
    assertThat(tokens.idToken(A)).isSameAs(first);
    assertThat(md.identityRequests(A)).isEqualTo(1);
    clock.advance(Duration.ofMinutes(1)); // 3 minutes left: stale, refreshed on this thread
    Token second = tokens.idToken(A);
    assertThat(second).isNotEqualTo(first);
    assertThat(second.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
    assertThat(md.identityRequests(A)).isEqualTo(2);
    assertThat(tokens.idToken(A)).isSameAs(second);
    assertThat(md.identityRequests(A)).isEqualTo(2);
  }

  @Test
  void expiredTokenWithThree503sSucceedsOnTheFourthAttemptWithinTheDeadline() {
    TokenProvider tokens = tokens();
    Token first = tokens.idToken(A);
    clock.advance(Duration.ofMinutes(61));
    md.failNext(3, 503);
    Token second = tokens.idToken(A);
    assertThat(second).isNotEqualTo(first);
    assertThat(second.remaining(clock.instant())).isEqualTo(Duration.ofHours(1));
    assertThat(md.identityRequests(A)).isEqualTo(1 + 4);
    RecordingListener.Fetch last = listener.fetches.get(listener.fetches.size() - 1);
    assertThat(last.failure()).isNull();
    assertThat(last.took()).isLessThan(TokenOptions.defaults().deadline());
  }

  @Test
  void persistent503GivesUpAfterMaxAttemptsWithAMessageNamingAudienceAndServer() {
    TokenProvider tokens = tokens(TokenOptions.defaults().withRetries(4, Duration.ofMillis(1), Duration.ofMillis(20),
        Duration.ofSeconds(10)));
    md.failNext(100, 503);
    assertThatThrownBy(() -> tokens.idToken(A))
        .isInstanceOf(TokenException.class)
        .hasMessageContaining(A)
        .hasMessageContaining(md.hostPort())
        .hasMessageContaining("4 attempts")
        .hasMessageContaining("503");
    assertThat(md.identityRequests(A)).isEqualTo(4);
    assertThat(listener.fetches).singleElement().satisfies(f -> assertThat(f.failure()).isInstanceOf(TokenException.class));
  }

  @Test
  void callersWaitingOnAFailingFetchShareItsFailureInsteadOfStormingTheServer() throws Exception {
    TokenProvider tokens = tokens(TokenOptions.defaults().withRetries(4, Duration.ofMillis(20), Duration.ofMillis(50),
        Duration.ofSeconds(10)));
    md.failNext(1_000, 503).latency(Duration.ofMillis(150)); // the failing fetch lasts >= 600 ms
    List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    race(64, () -> {
      try {
        return tokens.idToken(A);
      } catch (TokenException e) {
        errors.add(e);
        return null;
      }
    });
    assertThat(errors).hasSize(64).allSatisfy(e -> assertThat(e).hasMessageContaining("503"));
    assertThat(md.identityRequests(A)).isEqualTo(4); // one caller's four attempts; everyone else waited on them
  }

  @Test
  void clientErrorsAreNotRetried() {
    TokenProvider tokens = tokens();
    md.failNext(10, 403);
    assertThatThrownBy(() -> tokens.idToken(A)).isInstanceOf(TokenException.class)
        .hasMessageContaining("403").hasMessageContaining("1 attempt");
    md.failNext(10, 404);
    assertThatThrownBy(() -> tokens.idToken(B)).isInstanceOf(TokenException.class)
        .hasMessageContaining("404").hasMessageContaining("no service account");
    assertThat(md.identityRequests()).isEqualTo(2);
  }

  @Test
  void deadlineBoundsAFetchFromAHungServer() {
    TokenProvider tokens = tokens(TokenOptions.defaults().withRetries(4, Duration.ofMillis(10), Duration.ofMillis(50),
        Duration.ofMillis(700)));
    md.latency(Duration.ofSeconds(3));
    assertThatThrownBy(() -> tokens.idToken(A)).isInstanceOf(TokenException.class)
        .hasMessageContaining("timed out");
    assertThat(listener.fetches).singleElement().satisfies(f -> {
      assertThat(f.failure()).isNotNull();
      assertThat(f.took()).isLessThan(Duration.ofSeconds(3));
    });
  }

  @Test
  void metadataDownWhileTheCachedTokenIsValidKeepsServingIt() {
    TokenProvider tokens = tokens();
    Token first = tokens.idToken(A);
    clock.advance(Duration.ofMinutes(58)); // 2 minutes left
    md.failNext(1_000, 503);
    assertThat(tokens.idToken(A)).isSameAs(first);
    assertThat(md.identityRequests(A)).isEqualTo(2); // one attempt, no backoff on the caller's thread
    for (int i = 0; i < 100; i++) {
      assertThat(tokens.idToken(A)).isSameAs(first);
    }
    assertThat(md.identityRequests(A)).isEqualTo(2); // quiet for staleRetryInterval
    clock.advance(Duration.ofSeconds(6));
    assertThat(tokens.idToken(A)).isSameAs(first);
    assertThat(md.identityRequests(A)).isEqualTo(3);
    assertThat(listener.failures()).isEqualTo(2);

    clock.advance(Duration.ofMinutes(2)); // now expired: callers must wait, and are told
    assertThatThrownBy(() -> tokens.idToken(A)).isInstanceOf(TokenException.class).hasMessageContaining("503");

    md.failNext(0, 503);
    Token back = tokens.idToken(A);
    assertThat(back).isNotEqualTo(first);
    assertThat(back.remaining(clock.instant())).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void aResponseWithoutMetadataFlavorIsRejected() {
    md.omitFlavorHeader(true);
    TokenProvider tokens = tokens();
    assertThatThrownBy(() -> tokens.idToken(A))
        .isInstanceOf(TokenException.class)
        .hasMessageContaining("Metadata-Flavor");
    assertThatThrownBy(tokens::accessToken)
        .isInstanceOf(TokenException.class)
        .hasMessageContaining("Metadata-Flavor");
    assertThat(md.identityRequests(A)).isEqualTo(1);
    assertThat(md.accessTokenRequests()).isEqualTo(1);
  }

  @Test
  void accessTokensAreCachedAndRefreshedLikeIdTokens() {
    md.tokenLifetime(Duration.ofSeconds(3599));
    TokenProvider tokens = tokens();
    Token first = tokens.accessToken();
    assertThat(first.value()).startsWith("ya29.");
    assertThat(first.expiresAt()).isEqualTo(clock.instant().plusSeconds(3599));
    for (int i = 0; i < 1000; i++) {
      assertThat(tokens.accessToken()).isSameAs(first);
    }
    assertThat(md.accessTokenRequests()).isEqualTo(1);
    clock.advance(Duration.ofSeconds(3599 - 180));
    assertThat(tokens.accessToken()).isNotEqualTo(first);
    assertThat(md.accessTokenRequests()).isEqualTo(2);
    assertThat(listener.fetches).allSatisfy(f -> {
      assertThat(f.kind()).isEqualTo("access");
      assertThat(f.audience()).isEmpty();
    });
  }

  @Test
  void tokenInsideTheRefreshMarginIsNotRefetchedOnEveryCall() {
    md.tokenLifetime(Duration.ofMinutes(3)); // the server keeps returning near-expiry tokens
    TokenProvider tokens = tokens();
    tokens.idToken(A);
    for (int i = 0; i < 100; i++) {
      tokens.idToken(A);
    }
    assertThat(md.identityRequests(A)).isEqualTo(1);
    clock.advance(Duration.ofSeconds(6));
    tokens.idToken(A);
    assertThat(md.identityRequests(A)).isEqualTo(2);
  }

  @Test
  void formatFullForIapAudiencesAndWhenConfigured() {
    TokenProvider auto = tokens();
    auto.idToken(A);
    assertThat(md.fullFormatRequests()).isZero();
    auto.idToken("1234-abc.apps.googleusercontent.com");
    auto.idToken("/projects/123/global/backendServices/456");
    assertThat(md.fullFormatRequests()).isEqualTo(2);

    md.resetCounts();
    TokenProvider configured = tokens(TokenOptions.defaults().withFullFormatAudiences(Set.of(B)));
    configured.idToken(A);
    configured.idToken(B);
    assertThat(md.fullFormatRequests()).isEqualTo(1);
    assertThat(jwtClaims(configured.idToken(B))).contains("\"email\":\"runtime@test-project.iam.gserviceaccount.com\"");
    assertThat(jwtClaims(configured.idToken(A))).doesNotContain("email");

    md.resetCounts();
    TokenProvider full = tokens(TokenOptions.defaults().withIdTokenFormat(TokenOptions.IdTokenFormat.FULL));
    full.idToken(A);
    TokenProvider standard = tokens(TokenOptions.defaults().withIdTokenFormat(TokenOptions.IdTokenFormat.STANDARD));
    standard.idToken("1234-abc.apps.googleusercontent.com");
    assertThat(md.fullFormatRequests()).isEqualTo(1);
  }

  @Test
  void rejectedTokenReportedBy64ThreadsCausesOneFetch() throws Exception {
    TokenProvider tokens = tokens();
    Token rejected = tokens.idToken(A);
    md.latency(Duration.ofMillis(200));
    List<Token> got = race(64, () -> tokens.refreshIdToken(A, rejected));
    assertThat(md.identityRequests(A)).isEqualTo(2);
    assertThat(got).allSatisfy(t -> assertThat(t).isNotEqualTo(rejected).isEqualTo(got.get(0)));
    // A late report of the old token does not drop the new one.
    md.latency(Duration.ZERO);
    assertThat(tokens.refreshIdToken(A, rejected)).isEqualTo(got.get(0));
    assertThat(md.identityRequests(A)).isEqualTo(2);
    // Rejected again at once: a forced refresh just ran, so no fetch and the same token comes back.
    assertThat(tokens.refreshIdToken(A, got.get(0))).isEqualTo(got.get(0));
    assertThat(md.identityRequests(A)).isEqualTo(2);
    // Once the interval has passed, rejecting the current one fetches again.
    clock.advance(TokenOptions.defaults().staleRetryInterval());
    assertThat(tokens.refreshIdToken(A, got.get(0))).isNotEqualTo(got.get(0));
    assertThat(md.identityRequests(A)).isEqualTo(3);
  }

  @Test
  void persistentRejectionCostsOneFetchPerInterval() {
    TokenProvider tokens = tokens();
    Token current = tokens.idToken(A);
    for (int second = 0; second < 60; second++) {
      for (int call = 0; call < 100; call++) { // 100 calls a second, every one answered 401
        current = tokens.refreshIdToken(A, current);
      }
      clock.advance(Duration.ofSeconds(1));
    }
    // 1 initial + one forced refresh per 5 s interval over 60 s, not 6,000.
    assertThat(md.identityRequests(A)).isEqualTo(1 + 12);
  }

  @Test
  void rejectionWhileMetadataIsDownKeepsServingTheValidToken() {
    TokenProvider tokens = tokens();
    Token cached = tokens.idToken(A);
    md.failNext(1_000, 503);
    long started = System.nanoTime();
    assertThat(tokens.refreshIdToken(A, cached)).isEqualTo(cached); // one attempt, then the rejected token back
    assertThat(md.identityRequests(A)).isEqualTo(2);
    assertThat(tokens.idToken(A)).isEqualTo(cached); // other callers are not thrown into an outage
    assertThat(md.identityRequests(A)).isEqualTo(2);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(TokenOptions.defaults().deadline());
  }

  @Test
  void rejectedAccessTokenIsReplacedOnce() throws Exception {
    TokenProvider tokens = tokens();
    Token rejected = tokens.accessToken();
    List<Token> got = race(32, () -> tokens.refreshAccessToken(rejected));
    assertThat(md.accessTokenRequests()).isEqualTo(2);
    assertThat(got).allSatisfy(t -> assertThat(t).isNotEqualTo(rejected).isEqualTo(got.get(0)));
  }

  @Test
  void refreshAheadRefreshesStaleTokensOffTheCallerAndAheadOfTime() throws Exception {
    ScheduledExecutorService ahead = Executors.newSingleThreadScheduledExecutor();
    try {
      TokenProvider tokens = tokens(TokenOptions.defaults().withRefreshAhead(ahead));
      Token first = tokens.idToken(A);
      clock.advance(Duration.ofMinutes(57)); // stale
      md.latency(Duration.ofMillis(200));
      assertThat(tokens.idToken(A)).isSameAs(first); // returned at once; refresh runs on the executor
      awaitCount(() -> md.identityRequests(A), 2);
      awaitCondition(() -> !tokens.idToken(A).equals(first));
      md.latency(Duration.ZERO);

      // Ahead of time: a token living 1 s longer than the margin is re-fetched about 1 s later if used.
      md.tokenLifetime(TokenOptions.defaults().refreshMargin().plusSeconds(1));
      clock.advance(Duration.ofHours(2));
      Token shortLived = tokens.idToken(A);
      assertThat(md.identityRequests(A)).isEqualTo(3);
      tokens.idToken(A); // used since its fetch
      awaitCount(() -> md.identityRequests(A), 4);
      // Not used since that fetch: no further refresh.
      ahead.schedule(() -> { }, 1500, TimeUnit.MILLISECONDS).get();
      assertThat(md.identityRequests(A)).isEqualTo(4);
      assertThat(tokens.idToken(A)).isNotEqualTo(shortLived);
    } finally {
      ahead.shutdownNow();
    }
  }

  @Test
  void blankAudienceIsRefused() {
    TokenProvider tokens = tokens();
    assertThatThrownBy(() -> tokens.idToken(" ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("audience");
    assertThat(md.requestCount()).isZero();
  }

  @Test
  void buildingAndAskingForTheProviderDoesNoIo() {
    PrivateEgress egress = PrivateEgress.builder().environment(md.environment()).clock(clock).build();
    TokenProvider tokens = egress.tokens();
    assertThat(tokens.toString()).contains("not resolved");
    assertThat(md.requestCount()).isZero();
  }

  static String jwtClaims(Token t) {
    return new String(java.util.Base64.getUrlDecoder().decode(t.value().split("\\.")[1]),
        java.nio.charset.StandardCharsets.UTF_8);
  }

  interface Call {
    Token call() throws Exception;
  }

  /** Starts {@code n} threads that call at the same moment; returns every result. */
  static List<Token> race(int n, Call call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch ready = new CountDownLatch(n);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Token>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        futures.add(pool.submit(() -> {
          ready.countDown();
          go.await();
          return call.call();
        }));
      }
      ready.await(30, TimeUnit.SECONDS);
      go.countDown();
      List<Token> out = new ArrayList<>();
      for (Future<Token> f : futures) {
        out.add(f.get(30, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  static void awaitCount(java.util.function.IntSupplier count, int expected) throws InterruptedException {
    awaitCondition(() -> count.getAsInt() >= expected);
    assertThat(count.getAsInt()).isEqualTo(expected);
  }

  static void awaitCondition(java.util.function.BooleanSupplier condition) throws InterruptedException {
    Instant until = Instant.now().plusSeconds(10);
    while (!condition.getAsBoolean() && Instant.now().isBefore(until)) {
      Thread.sleep(20);
    }
    assertThat(condition.getAsBoolean()).isTrue();
  }
}
