package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.ImpersonatedCredentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import dev.privateegress.testing.FakeMetadataServer;
import dev.privateegress.testing.MutableClock;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Runs every token path (fetch, refresh, retries, failures, stale fallback, 401 refresh, keys,
 * impersonation, refresh-ahead) with the SDK's loggers at TRACE and System.err captured, and proves that
 * no token text reaches the log or an exception message.
 */
class TokenLoggingTest {
  private static final String AUD = "https://svc-abc-uc.a.run.app";

  @TempDir Path dir;

  @Test
  void noTokenTextReachesAnyLogLevelOrExceptionMessage() throws Exception {
    assertThat(LoggerFactory.getLogger("dev.privateegress.internal.GoogleTokenProvider").isTraceEnabled())
        .as("surefire sets org.slf4j.simpleLogger.log.dev.privateegress=trace").isTrue();
    List<Token> seen = new ArrayList<>();
    List<String> messages = new ArrayList<>();
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.err;
    // slf4j-simple resolves System.err on every write (OutputChoice SYS_ERR), so swapping it captures everything.
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    ScheduledExecutorService ahead = Executors.newSingleThreadScheduledExecutor();
    try {
      MutableClock clock = MutableClock.start();
      try (FakeMetadataServer md = FakeMetadataServer.start(clock); FakeGoogleOAuth oauth = new FakeGoogleOAuth(clock)) {
        TokenProvider tokens = PrivateEgress.builder().environment(md.environment()).clock(clock)
            .tokenOptions(TokenOptions.defaults().withRetries(4, Duration.ofMillis(1), Duration.ofMillis(5),
                Duration.ofSeconds(5)))
            .build().tokens();
        seen.add(tokens.idToken(AUD));
        seen.add(tokens.idToken("1234-x.apps.googleusercontent.com"));
        seen.add(tokens.accessToken());
        clock.advance(Duration.ofMinutes(57));
        seen.add(tokens.idToken(AUD)); // stale refresh
        clock.advance(Duration.ofMinutes(58));
        md.failNext(1_000, 503);
        seen.add(tokens.idToken(AUD)); // stale refresh fails, cached token served with a WARN
        clock.advance(Duration.ofMinutes(5));
        messages.add(catchThrowable(() -> tokens.idToken(AUD)).getMessage()); // expired, retries exhausted
        md.failNext(2, 503);
        Token fresh = tokens.idToken(AUD); // retried, then success
        seen.add(fresh);
        seen.add(tokens.refreshIdToken(AUD, fresh)); // 401 path
        md.omitFlavorHeader(true);
        clock.advance(Duration.ofHours(2));
        messages.add(catchThrowable(tokens::accessToken).getMessage());
        md.omitFlavorHeader(false);

        TokenProvider withAhead = PrivateEgress.builder().environment(md.environment()).clock(clock)
            .tokenOptions(TokenOptions.defaults().withRefreshAhead(ahead)).build().tokens();
        seen.add(withAhead.idToken(AUD));
        clock.advance(Duration.ofMinutes(57));
        seen.add(withAhead.idToken(AUD));
        MetadataTokensTest.awaitCondition(() -> !withAhead.idToken(AUD).equals(seen.get(seen.size() - 1)));
        seen.add(withAhead.idToken(AUD));

        Path key = oauth.keyFile(dir, "sa@test-project.iam.gserviceaccount.com");
        TokenProvider sa = PrivateEgress.builder().environment(Map.of("GOOGLE_APPLICATION_CREDENTIALS", key.toString()))
            .clock(clock).build().tokens();
        seen.add(sa.idToken(AUD));
        seen.add(sa.accessToken());
        GoogleCredentials source;
        try (InputStream in = Files.newInputStream(key)) {
          source = ServiceAccountCredentials.fromStream(in);
        }
        TokenProvider imp = PrivateEgress.builder().clock(clock).credentials(ImpersonatedCredentials.newBuilder()
            .setSourceCredentials(source).setTargetPrincipal("t@test-project.iam.gserviceaccount.com")
            .setScopes(List.of("https://www.googleapis.com/auth/cloud-platform"))
            .setHttpTransportFactory(oauth.transport()).build()).build().tokens();
        seen.add(imp.idToken(AUD));
        seen.add(imp.accessToken());
        oauth.denyImpersonation = true;
        messages.add(catchThrowable(() -> imp.idToken("https://other")).getMessage());
        messages.add(catchThrowable(() -> PrivateEgress.builder().environment(Map.of("GOOGLE_APPLICATION_CREDENTIALS",
            Files.writeString(dir.resolve("u.json"), "{\"type\":\"authorized_user\",\"client_id\":\"c\","
                + "\"client_secret\":\"s\",\"refresh_token\":\"r\"}").toString())).build().tokens().idToken(AUD))
            .getMessage());
      }
    } finally {
      ahead.shutdownNow();
      System.err.flush();
      System.setErr(original);
    }
    String log = captured.toString(StandardCharsets.UTF_8);
    original.print(log); // keep it in the test report

    assertThat(seen).doesNotContainNull().hasSizeGreaterThan(12);
    assertThat(messages).hasSize(4).doesNotContainNull();
    // The capture really holds the SDK's own lines at DEBUG and WARN.
    assertThat(log).contains("DEBUG dev.privateegress.internal.GoogleTokenProvider", "fetched an ID token for audience "
        + AUD, "WARN dev.privateegress.internal.TokenCache", "serving the cached one", "retrying in");
    for (Token t : seen) {
      assertThat(log).doesNotContain(t.value());
      // The signature-free part of a JWT is enough to replay claims: none of its pieces may appear either.
      for (String part : t.value().split("\\.")) {
        if (part.length() > 8) {
          assertThat(log).doesNotContain(part);
          assertThat(messages).allSatisfy(m -> assertThat(m).doesNotContain(part));
        }
      }
      assertThat(t.toString()).doesNotContain(t.value());
    }
    assertThat(log).doesNotContain("ya29.").doesNotContain("eyJ");
    assertThat(String.join("\n", messages)).doesNotContain("ya29.").doesNotContain("eyJ");
  }
}
