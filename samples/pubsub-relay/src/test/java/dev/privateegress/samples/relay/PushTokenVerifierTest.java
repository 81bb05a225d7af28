package dev.privateegress.samples.relay;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** google-auth's TokenVerifier against keys served on loopback, plus the email checks it leaves to us. */
class PushTokenVerifierTest {
  private static final String AUD = "https://relay-abc123-uc.a.run.app/";
  private static TestTokens tokens;
  private static PushTokenVerifier verifier;

  @BeforeAll
  static void keys() throws Exception {
    tokens = new TestTokens();
    verifier = new PushTokenVerifier(AUD, TestTokens.PUSH_ACCOUNT, tokens.certsUrl());
  }

  @AfterAll
  static void stop() {
    tokens.close();
  }

  private static String bearer(Map<String, Object> claims) throws Exception {
    return "Bearer " + tokens.sign(claims);
  }

  @Test
  void acceptsAPushTokenWithEitherSpellingOfGooglesIssuer() throws Exception {
    assertThatCode(() -> verifier.verify(bearer(TestTokens.pushClaims(AUD)))).doesNotThrowAnyException();
    Map<String, Object> c = TestTokens.pushClaims(AUD);
    c.put("iss", "accounts.google.com");
    assertThatCode(() -> verifier.verify(bearer(c))).doesNotThrowAnyException();
  }

  @Test
  void rejectsAWrongAudienceWith401NamingBothAudiences() throws Exception {
    String token = bearer(TestTokens.pushClaims("https://someone-else.example.com"));
    assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(PushTokenVerifier.Rejected.class)
        .hasFieldOrPropertyWithValue("status", 401)
        .hasMessageContaining("audience").hasMessageContaining("https://someone-else.example.com")
        .hasMessageContaining("RELAY_PUSH_AUDIENCE")
        .hasMessageNotContaining(token.substring(7));
  }

  @Test
  void rejectsAnUnverifiedEmailWith403() throws Exception {
    Map<String, Object> c = TestTokens.pushClaims(AUD);
    c.put("email_verified", false);
    String token = bearer(c);
    assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(PushTokenVerifier.Rejected.class)
        .hasFieldOrPropertyWithValue("status", 403).hasMessageContaining("not verified");
  }

  @Test
  void rejectsAnotherServiceAccountWith403() throws Exception {
    Map<String, Object> c = TestTokens.pushClaims(AUD);
    c.put("email", "intruder@evil-project.iam.gserviceaccount.com");
    String token = bearer(c);
    assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(PushTokenVerifier.Rejected.class)
        .hasFieldOrPropertyWithValue("status", 403)
        .hasMessageContaining("intruder@evil-project").hasMessageContaining(TestTokens.PUSH_ACCOUNT);
  }

  @Test
  void rejectsAForgedSignatureAnExpiredTokenAndANonGoogleIssuer() throws Exception {
    String forged = "Bearer " + tokens.signWithWrongKey(TestTokens.pushClaims(AUD));
    assertThatThrownBy(() -> verifier.verify(forged)).isInstanceOf(PushTokenVerifier.Rejected.class)
        .hasFieldOrPropertyWithValue("status", 401);

    Map<String, Object> expired = TestTokens.pushClaims(AUD);
    expired.put("exp", Instant.now().getEpochSecond() - 60);
    String old = bearer(expired);
    assertThatThrownBy(() -> verifier.verify(old)).isInstanceOf(PushTokenVerifier.Rejected.class)
        .hasMessageContaining("expired");

    Map<String, Object> other = TestTokens.pushClaims(AUD);
    other.put("iss", "https://evil.example.com");
    String foreign = bearer(other);
    assertThatThrownBy(() -> verifier.verify(foreign)).isInstanceOf(PushTokenVerifier.Rejected.class)
        .hasFieldOrPropertyWithValue("status", 401).hasMessageContaining("https://evil.example.com");
  }

  @Test
  void unreachableKeysAreNamedInTheRefusal() throws Exception {
    PushTokenVerifier noKeys = new PushTokenVerifier(AUD, TestTokens.PUSH_ACCOUNT, "http://127.0.0.1:1/certs");
    String token = bearer(TestTokens.pushClaims(AUD));
    assertThatThrownBy(() -> noKeys.verify(token)).isInstanceOf(PushTokenVerifier.Rejected.class)
        .hasFieldOrPropertyWithValue("status", 401).hasMessageContaining("keys from http://127.0.0.1:1/certs");
  }

  @Test
  void rejectsAMissingOrMalformedHeaderWith401() {
    assertThatThrownBy(() -> verifier.verify(null)).isInstanceOf(PushTokenVerifier.Rejected.class)
        .hasFieldOrPropertyWithValue("status", 401).hasMessageContaining("Authorization: Bearer");
    assertThatThrownBy(() -> verifier.verify("Basic dXNlcjpwYXNz")).isInstanceOf(PushTokenVerifier.Rejected.class)
        .hasFieldOrPropertyWithValue("status", 401);
    assertThatThrownBy(() -> verifier.verify("Bearer not-a-jwt")).isInstanceOf(PushTokenVerifier.Rejected.class)
        .hasFieldOrPropertyWithValue("status", 401).hasMessageContaining("not a JWT");
  }
}
