package dev.privateegress.samples.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** google-auth's TokenVerifier against keys served on loopback, plus the checks it leaves to us. */
class PushTokenVerifierTest {
  private static final String AUD = "https://relay-abc123-uc.a.run.app/";
  private static TestTokens tokens;
  private static PushTokenVerifier verifier;

  @BeforeAll
  static void keys() throws Exception {
    tokens = new TestTokens();
    verifier = new PushTokenVerifier(AUD, TestTokens.PUSH_ACCOUNT, tokens.certsUrl(), Clock.systemUTC());
  }

  @AfterAll
  static void stop() {
    tokens.close();
  }

  private static String bearer(Map<String, Object> claims) throws Exception {
    return "Bearer " + tokens.sign(claims);
  }

  /** The refusal of this header: status, fixed reason, and a detail with nothing raw in it. */
  private static PushTokenVerifier.Rejected refusal(String authorization) {
    try {
      verifier.verify(authorization);
    } catch (PushTokenVerifier.Rejected e) {
      assertThat(e.detail).doesNotContain("\n", "\r", "\u001b");
      return e;
    }
    throw new AssertionError("accepted: " + authorization);
  }

  @Test
  void acceptsAPushTokenWithEitherSpellingOfGooglesIssuerAndAnEs256Token() throws Exception {
    assertThatCode(() -> verifier.verify(bearer(TestTokens.pushClaims(AUD)))).doesNotThrowAnyException();
    Map<String, Object> c = TestTokens.pushClaims(AUD);
    c.put("iss", "accounts.google.com");
    assertThatCode(() -> verifier.verify(bearer(c))).doesNotThrowAnyException();
    String es = "Bearer " + tokens.signEs256(TestTokens.pushClaims(AUD));
    assertThatCode(() -> verifier.verify(es)).doesNotThrowAnyException();
  }

  @Test
  void aWrongAudienceIsA401WithAFixedReasonAndBothAudiencesInTheDetail() throws Exception {
    String token = bearer(TestTokens.pushClaims("https://someone-else.example.com"));
    PushTokenVerifier.Rejected e = refusal(token);
    assertThat(e.status).isEqualTo(401);
    assertThat(e.getMessage()).isEqualTo("push token for another audience");
    assertThat(e.detail).contains("\"https://someone-else.example.com\"").contains("RELAY_PUSH_AUDIENCE is " + AUD)
        .doesNotContain(token.substring(7));
  }

  @Test
  void anUnverifiedEmailOrAnotherServiceAccountIsA403() throws Exception {
    Map<String, Object> c = TestTokens.pushClaims(AUD);
    c.put("email_verified", false);
    assertThat(refusal(bearer(c))).hasMessage("push token email not verified").extracting(r -> r.status).isEqualTo(403);
    Map<String, Object> other = TestTokens.pushClaims(AUD);
    other.put("email", "intruder@evil-project.iam.gserviceaccount.com");
    PushTokenVerifier.Rejected e = refusal(bearer(other));
    assertThat(e.status).isEqualTo(403);
    assertThat(e).hasMessage("push token from another sender");
    assertThat(e.detail).contains("\"intruder@evil-project.iam.gserviceaccount.com\"").contains(TestTokens.PUSH_ACCOUNT);
  }

  @Test
  void aForgedSignatureAnExpiredTokenAndANonGoogleIssuerAre401() throws Exception {
    assertThat(refusal("Bearer " + tokens.signWithWrongKey(TestTokens.pushClaims(AUD))))
        .hasMessage("push token signature not verified");
    Map<String, Object> expired = TestTokens.pushClaims(AUD);
    expired.put("exp", Instant.now().getEpochSecond() - 60);
    assertThat(refusal(bearer(expired))).hasMessage("push token expired");
    Map<String, Object> other = TestTokens.pushClaims(AUD);
    other.put("iss", "https://evil.example.com");
    PushTokenVerifier.Rejected e = refusal(bearer(other));
    assertThat(e).hasMessage("push token not issued by Google");
    assertThat(e.detail).contains("\"https://evil.example.com\"");
  }

  @Test
  void signedTokensWithoutExpOrIssuedInTheFutureAreRefused() throws Exception {
    Map<String, Object> noExp = TestTokens.pushClaims(AUD);
    noExp.remove("exp");
    assertThat(refusal(bearer(noExp))).hasMessage("push token without exp");
    long now = Instant.now().getEpochSecond();
    Map<String, Object> future = TestTokens.pushClaims(AUD);
    future.put("iat", now + 600);
    assertThat(refusal(bearer(future))).hasMessage("push token not valid yet");
    Map<String, Object> notBefore = TestTokens.pushClaims(AUD);
    notBefore.put("nbf", now + 600);
    assertThat(refusal(bearer(notBefore))).hasMessage("push token not valid yet");
    Map<String, Object> skew = TestTokens.pushClaims(AUD);
    skew.put("iat", now + 20); // within the allowed clock skew
    assertThatCode(() -> verifier.verify(bearer(skew))).doesNotThrowAnyException();
  }

  @Test
  void malformedAndForgedTokensAre401NeverAnotherException() throws Exception {
    Map<String, Object> noIss = TestTokens.pushClaims(AUD);
    noIss.remove("iss");
    String payload = new String(TestTokens.json(TestTokens.pushClaims(AUD)), java.nio.charset.StandardCharsets.UTF_8);
    String[] hostile = {
      bearer(noIss),
      "Bearer " + tokens.signRaw("{\"alg\":\"ES256\",\"kid\":\"" + TestTokens.EC_KID + "\"}", payload)
          .replaceAll("\\.[^.]*$", ".AAAA"), // ES256 with a 3-byte signature
      "Bearer " + TestTokens.unsigned("{\"alg\":\"none\"}", payload, ""),
      "Bearer " + TestTokens.unsigned("{\"alg\":\"HS256\",\"kid\":\"" + TestTokens.KID + "\"}", payload, "c2lnbmF0dXJl"),
      "Bearer " + TestTokens.unsigned("{\"alg\":\"RS256\",\"kid\":\"nope\",\"jku\":\"http://127.0.0.1:1/\"}", payload, "AAAA"),
      "Bearer " + TestTokens.unsigned("{\"alg\":\"RS256\"}", "{\"iss\":12,\"aud\":[1,{}],\"exp\":\"soon\"}", "AAAA"),
      "Bearer " + TestTokens.unsigned("[]", "[]", ""),
      "Bearer " + TestTokens.unsigned("{", "}", "x"),
      "Bearer a.b.c.d", "Bearer ....", "Bearer \u0000", "bearer " + "x".repeat(100_000),
      "Bearer " + TestTokens.unsigned("{\"alg\":\"RS256\",\"kid\":\"k\\r\\nFORGED\"}",
          "{\"iss\":\"https://accounts.google.com\\r\\nFORGED \\u001b[31m\",\"aud\":\"a\\nFORGED\"}", "AAAA"),
    };
    for (String h : hostile) {
      PushTokenVerifier.Rejected e = refusal(h);
      assertThat(e.status).as(h).isEqualTo(401);
      assertThat(e.getMessage()).as(h).matches("push token [a-zA-Z ]+");
    }
  }

  @Test
  void unreachableKeysAreNamedInTheDetail() throws Exception {
    PushTokenVerifier noKeys = new PushTokenVerifier(AUD, TestTokens.PUSH_ACCOUNT, "http://127.0.0.1:1/certs",
        Clock.systemUTC());
    String token = bearer(TestTokens.pushClaims(AUD));
    assertThatThrownBy(() -> noKeys.verify(token)).isInstanceOf(PushTokenVerifier.Rejected.class)
        .hasFieldOrPropertyWithValue("status", 401).hasMessage("push token signature not verified")
        .hasFieldOrPropertyWithValue("detail", "no key for the token's key id at http://127.0.0.1:1/certs: "
            + "unreachable from here, or the token was not signed by Google");
  }

  @Test
  void aMissingOrMalformedHeaderIsA401() {
    assertThat(refusal(null)).hasMessage("missing push token").extracting(r -> r.detail).asString()
        .contains("Authorization: Bearer");
    assertThat(refusal("Basic dXNlcjpwYXNz")).hasMessage("missing push token");
    assertThat(refusal("Bearer not-a-jwt")).hasMessage("push token is not a JWT");
  }
}
