package dev.privateegress.samples.relay;

import com.google.api.client.json.gson.GsonFactory;
import com.google.api.client.json.webtoken.JsonWebSignature;
import com.google.auth.oauth2.TokenVerifier;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Verifies the OIDC token Pub/Sub (or Eventarc) puts in {@code Authorization: Bearer ...}: signature,
 * {@code aud}, {@code iss} and {@code exp} with google-auth's {@link TokenVerifier}, then that {@code email}
 * is the push service account and {@code email_verified} is true, which TokenVerifier does not check.
 *
 * <p>Keys come from Google's JWKS ({@code https://www.googleapis.com/oauth2/v3/certs}, cached for an hour
 * by the verifier) unless another location is given (tests serve their own keys on loopback).
 */
final class PushTokenVerifier {
  /** Google signs with either spelling of its issuer. */
  static final Set<String> ISSUERS = Set.of("https://accounts.google.com", "accounts.google.com");
  static final String GOOGLE_CERTS = "https://www.googleapis.com/oauth2/v3/certs";

  private final String serviceAccount;
  private final String certificates;
  private final Map<String, TokenVerifier> byIssuer;

  /** Why a request was refused: 401 (no or invalid token) or 403 (valid token, wrong sender). */
  static final class Rejected extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;

    Rejected(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  PushTokenVerifier(String audience, String serviceAccount, String certificatesLocation) {
    this.serviceAccount = Objects.requireNonNull(serviceAccount, "serviceAccount");
    String certs = certificatesLocation == null ? GOOGLE_CERTS : certificatesLocation;
    this.certificates = certs;
    this.byIssuer = Map.of(
        "https://accounts.google.com", verifier(audience, "https://accounts.google.com", certs),
        "accounts.google.com", verifier(audience, "accounts.google.com", certs));
  }

  private static TokenVerifier verifier(String audience, String issuer, String certs) {
    return TokenVerifier.newBuilder().setAudience(audience).setIssuer(issuer).setCertificatesLocation(certs).build();
  }

  /**
   * Checks the {@code Authorization} header value.
   *
   * @throws Rejected with the status to answer and a one-line reason that never contains the token
   */
  void verify(String authorization) throws Rejected {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)
        || authorization.length() <= 7) {
      throw new Rejected(401, "missing push token: expected Authorization: Bearer <OIDC token> "
          + "(enable authentication on the push subscription with service account " + serviceAccount + ")");
    }
    String token = authorization.substring(7).strip();
    JsonWebSignature.Payload payload;
    try {
      payload = JsonWebSignature.parse(GsonFactory.getDefaultInstance(), token).getPayload();
    } catch (IOException | IllegalArgumentException e) {
      throw new Rejected(401, "push token is not a JWT");
    }
    TokenVerifier verifier = byIssuer.get(payload.getIssuer());
    if (verifier == null) {
      throw new Rejected(401, "push token rejected: issuer '" + payload.getIssuer() + "' is not Google");
    }
    try {
      verifier.verify(token);
    } catch (TokenVerifier.VerificationException e) {
      String m = String.valueOf(e.getMessage());
      String hint = "";
      if (m.contains("audience")) {
        hint = " (token aud '" + payload.getAudience() + "'; RELAY_PUSH_AUDIENCE must equal the subscription's audience)";
      } else if (m.contains("PublicKey")) {
        // TokenVerifier treats an unreachable key location like an unknown key id.
        hint = " (keys from " + certificates + ": unreachable from here, or the token was not signed by Google)";
      }
      throw new Rejected(401, "push token rejected: " + m + hint);
    }
    Object email = payload.get("email");
    if (!serviceAccount.equals(email)) {
      throw new Rejected(403, "push token email '" + email + "' is not RELAY_PUSH_SERVICE_ACCOUNT " + serviceAccount);
    }
    if (!Boolean.TRUE.equals(payload.get("email_verified"))) {
      throw new Rejected(403, "push token email " + email + " is not verified (email_verified is not true)");
    }
  }
}
