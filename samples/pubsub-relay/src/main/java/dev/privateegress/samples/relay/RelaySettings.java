package dev.privateegress.samples.relay;

import java.util.function.UnaryOperator;
import okhttp3.HttpUrl;

/**
 * The relay's own variables, read once at start-up; a bad or missing value stops the start with the name,
 * the value and the fix.
 *
 * @param target {@code RELAY_TARGET_URL}: where deliveries go, e.g. {@code http://my.api.private/events}
 * @param pushAudience {@code RELAY_PUSH_AUDIENCE}: when set, the push token must carry this {@code aud}
 * @param pushServiceAccount {@code RELAY_PUSH_SERVICE_ACCOUNT}: the push subscription's service account
 * @param certificatesLocation {@code RELAY_PUSH_CERTS_URL}: where the signing keys are; Google's by default
 */
record RelaySettings(HttpUrl target, String pushAudience, String pushServiceAccount, String certificatesLocation) {

  static RelaySettings from(UnaryOperator<String> variables) {
    String rawTarget = blankToNull(variables.apply("RELAY_TARGET_URL"));
    if (rawTarget == null) {
      throw new IllegalStateException("RELAY_TARGET_URL is not set: set it to the receiver inside the VPC, "
          + "e.g. RELAY_TARGET_URL=http://my.api.private/events");
    }
    HttpUrl target = HttpUrl.parse(rawTarget);
    if (target == null) {
      throw new IllegalStateException("RELAY_TARGET_URL must be an http:// or https:// URL, was '" + rawTarget
          + "'; e.g. RELAY_TARGET_URL=http://my.api.private/events");
    }
    String audience = blankToNull(variables.apply("RELAY_PUSH_AUDIENCE"));
    String account = blankToNull(variables.apply("RELAY_PUSH_SERVICE_ACCOUNT"));
    if (audience != null && account == null) {
      throw new IllegalStateException("RELAY_PUSH_AUDIENCE is set but RELAY_PUSH_SERVICE_ACCOUNT is not: set it "
          + "to the push subscription's service account email, e.g. push-sa@PROJECT.iam.gserviceaccount.com");
    }
    if (audience == null && account != null) {
      throw new IllegalStateException("RELAY_PUSH_SERVICE_ACCOUNT is set but RELAY_PUSH_AUDIENCE is not: set it "
          + "to the push subscription's audience (by default the push endpoint URL)");
    }
    String certs = blankToNull(variables.apply("RELAY_PUSH_CERTS_URL"));
    if (certs != null && HttpUrl.parse(certs) == null) {
      throw new IllegalStateException("RELAY_PUSH_CERTS_URL must be an http(s) URL of a JWKS, was '" + certs + "'");
    }
    return new RelaySettings(target, audience, account, certs);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }
}
