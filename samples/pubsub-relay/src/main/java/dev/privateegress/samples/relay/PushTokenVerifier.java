package dev.privateegress.samples.relay;

import com.google.api.client.json.gson.GsonFactory;
import com.google.api.client.json.webtoken.JsonWebSignature;
import com.google.auth.oauth2.TokenVerifier;
import dev.privateegress.samples.support.Untrusted;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Verifies the OIDC token Pub/Sub (or Eventarc) puts in {@code Authorization: Bearer ...}: signature,
 * {@code aud}, {@code iss} and {@code exp} with google-auth's {@link TokenVerifier}; then what it leaves out:
 * {@code exp} must be there, {@code iat} and {@code nbf} not in the future (beyond {@link #CLOCK_SKEW}),
 * {@code email} the push service account and {@code email_verified} true.
 *
 * <p>Everything in the token is the caller's until the signature holds: a refusal carries a fixed reason
 * for the answer and a detail for the log in which the caller's values are {@link Untrusted#shown escaped}.
 * No input ends in another exception.
 *
 * <p>Keys come from Google's JWKS ({@code https://www.googleapis.com/oauth2/v3/certs}, cached for an hour
 * by the verifier) unless another location is given (tests serve their own keys on loopback).
 */
final class PushTokenVerifier {
  /** Google signs with either spelling of its issuer. */
  static final Set<String> ISSUERS = Set.of("https://accounts.google.com", "accounts.google.com");
  static final String GOOGLE_CERTS = "https://www.googleapis.com/oauth2/v3/certs";
  /** How far ahead of this clock a token may have been issued: clocks on two machines differ a little. */
  static final Duration CLOCK_SKEW = Duration.ofSeconds(60);

  private final String audience;
  private final String serviceAccount;
  private final String certificates;
  private final Clock clock;
  private final Map<String, TokenVerifier> byIssuer;

  /** Why a request was refused: 401 (no or invalid token) or 403 (valid token, wrong sender). */
  static final class Rejected extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;
    /** For the log: what was wrong and how to fix it; the caller's values escaped. */
    final String detail;

    Rejected(int status, String reason, String detail) {
      super(reason);
      this.status = status;
      this.detail = detail;
    }
  }

  PushTokenVerifier(String audience, String serviceAccount, String certificatesLocation, Clock clock) {
    this.audience = Objects.requireNonNull(audience, "audience");
    this.serviceAccount = Objects.requireNonNull(serviceAccount, "serviceAccount");
    this.certificates = certificatesLocation == null ? GOOGLE_CERTS : certificatesLocation;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.byIssuer = Map.of(
        "https://accounts.google.com", verifier("https://accounts.google.com"),
        "accounts.google.com", verifier("accounts.google.com"));
  }

  private TokenVerifier verifier(String issuer) {
    return TokenVerifier.newBuilder().setAudience(audience).setIssuer(issuer).setCertificatesLocation(certificates)
        .setClock(clock::millis).build();
  }

  /**
   * Checks the {@code Authorization} header value.
   *
   * @throws Rejected with the status to answer, a fixed reason and a detail for the log; never the token
   */
  void verify(String authorization) throws Rejected {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)
        || authorization.length() <= 7) {
      throw new Rejected(401, "missing push token", "no Authorization: Bearer <OIDC token>; enable "
          + "authentication on the push subscription with service account " + serviceAccount);
    }
    String token = authorization.substring(7).strip();
    JsonWebSignature.Payload payload;
    String issuer;
    try {
      payload = JsonWebSignature.parse(GsonFactory.getDefaultInstance(), token).getPayload();
      issuer = payload.getIssuer();
    } catch (Exception e) { // IOException, IllegalArgumentException, ClassCastException, ...: all malformed
      throw new Rejected(401, "push token is not a JWT", "unreadable token (" + e.getClass().getSimpleName() + ")");
    }
    TokenVerifier verifier = issuer == null ? null : byIssuer.get(issuer);
    if (verifier == null) {
      throw new Rejected(401, "push token not issued by Google", "iss " + Untrusted.shown(issuer)
          + " is not one of " + ISSUERS);
    }
    try {
      verifier.verify(token);
    } catch (TokenVerifier.VerificationException e) {
      throw refusal(String.valueOf(e.getMessage()), payload);
    } catch (RuntimeException e) { // e.g. an ES256 signature of the wrong length
      throw new Rejected(401, "push token signature not verified", "signature unreadable ("
          + e.getClass().getSimpleName() + ")");
    }
    // Signed by Google from here on; TokenVerifier checks exp only when the token has one.
    long now = clock.millis() / 1000;
    if (payload.getExpirationTimeSeconds() == null) {
      throw new Rejected(401, "push token without exp", "a signed token without an expiry time");
    }
    long latest = now + CLOCK_SKEW.toSeconds();
    Long iat = payload.getIssuedAtTimeSeconds();
    Long nbf = payload.getNotBeforeTimeSeconds();
    if ((iat != null && iat > latest) || (nbf != null && nbf > latest)) {
      throw new Rejected(401, "push token not valid yet", "iat " + iat + " / nbf " + nbf + " later than now ("
          + now + ") + " + CLOCK_SKEW.toSeconds() + " s");
    }
    Object email = payload.get("email");
    if (!serviceAccount.equals(email)) {
      throw new Rejected(403, "push token from another sender", "email " + Untrusted.shown(email)
          + " is not RELAY_PUSH_SERVICE_ACCOUNT " + serviceAccount);
    }
    if (!Boolean.TRUE.equals(payload.get("email_verified"))) {
      throw new Rejected(403, "push token email not verified", "email " + serviceAccount
          + " has email_verified " + Untrusted.shown(payload.get("email_verified")) + ", not true");
    }
  }

  private Rejected refusal(String message, JsonWebSignature.Payload payload) {
    if (message.contains("audience")) {
      return new Rejected(401, "push token for another audience", "token aud " + Untrusted.shown(payload.getAudience())
          + "; RELAY_PUSH_AUDIENCE is " + audience + " and must equal the subscription's audience");
    }
    if (message.contains("expired")) {
      return new Rejected(401, "push token expired", "exp " + payload.getExpirationTimeSeconds());
    }
    if (message.contains("PublicKey")) {
      // TokenVerifier treats an unreachable key location like an unknown key id.
      return new Rejected(401, "push token signature not verified", "no key for the token's key id at "
          + certificates + ": unreachable from here, or the token was not signed by Google");
    }
    if (message.contains("algorithm")) {
      return new Rejected(401, "push token signature not verified", "algorithm other than RS256 and ES256");
    }
    return new Rejected(401, "push token signature not verified", Untrusted.shown(message));
  }
}
