package dev.privateegress.samples.relay;

import dev.privateegress.Platform;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import okhttp3.HttpUrl;

/**
 * The relay's own variables, read once at start-up; a bad or missing value stops the start with the name,
 * the value and the fix.
 *
 * @param target {@code RELAY_TARGET_URL}: where deliveries go, e.g. {@code http://my.api.private/events}
 * @param pushAudience {@code RELAY_PUSH_AUDIENCE}: the {@code aud} push tokens must carry; null only when
 *     verification is off
 * @param pushServiceAccount {@code RELAY_PUSH_SERVICE_ACCOUNT}: the push subscription's service account
 * @param certificatesLocation {@code RELAY_PUSH_CERTS_URL}: where the signing keys are; Google's by default
 * @param maxBodyBytes {@code RELAY_MAX_BODY_BYTES}: the largest body read, {@link #DEFAULT_MAX_BODY} by default
 */
record RelaySettings(HttpUrl target, String pushAudience, String pushServiceAccount, String certificatesLocation,
    long maxBodyBytes) {
  /**
   * A push of Pub/Sub's largest message (10 MB of data, base64 in the envelope: 13.4 MB) with 100 attributes
   * (256-byte names, 1024-byte values) and the envelope around them.
   */
  static final long DEFAULT_MAX_BODY = 14L * 1024 * 1024;

  /** A body is held in one array. */
  static final long MAX_MAX_BODY = 1L << 30;

  /** True when push tokens are not checked: allowed off Google Cloud, or with {@code RELAY_PUSH_VERIFY=off}. */
  boolean open() {
    return pushAudience == null;
  }

  /**
   * Reads the variables.
   *
   * @param platform asked only when no audience is set: on Google Cloud the relay will not run open unless
   *     {@code RELAY_PUSH_VERIFY=off} says so
   */
  static RelaySettings from(UnaryOperator<String> variables, Supplier<Platform> platform) {
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
    String verify = blankToNull(variables.apply("RELAY_PUSH_VERIFY"));
    boolean off = false;
    if (verify != null) {
      off = switch (verify.toLowerCase(Locale.ROOT)) {
        case "on" -> false;
        case "off" -> true;
        default -> throw new IllegalStateException("RELAY_PUSH_VERIFY must be on or off, was '" + verify
            + "'; leave it unset to verify push tokens (RELAY_PUSH_AUDIENCE and RELAY_PUSH_SERVICE_ACCOUNT)");
      };
    }
    if (off && audience != null) {
      throw new IllegalStateException("RELAY_PUSH_VERIFY=off contradicts RELAY_PUSH_AUDIENCE=" + audience
          + ": unset RELAY_PUSH_VERIFY to verify push tokens, or unset RELAY_PUSH_AUDIENCE and "
          + "RELAY_PUSH_SERVICE_ACCOUNT to run without verification");
    }
    if (audience == null && !off) {
      Platform p = platform.get();
      if (p.onGoogleCloud()) {
        throw new IllegalStateException("RELAY_PUSH_AUDIENCE is not set on " + p.id() + ": the relay would "
            + "deliver anything anyone sends to its URL. Set RELAY_PUSH_AUDIENCE to the push subscription's "
            + "audience (by default the push endpoint URL) and RELAY_PUSH_SERVICE_ACCOUNT to its service account; "
            + "or set RELAY_PUSH_VERIFY=off if something in front of the relay checks every caller");
      }
    }
    if (audience == null && verify != null && !off) {
      throw new IllegalStateException("RELAY_PUSH_VERIFY=on needs RELAY_PUSH_AUDIENCE and "
          + "RELAY_PUSH_SERVICE_ACCOUNT: set them to the push subscription's audience and service account");
    }
    String certs = blankToNull(variables.apply("RELAY_PUSH_CERTS_URL"));
    if (certs != null && HttpUrl.parse(certs) == null) {
      throw new IllegalStateException("RELAY_PUSH_CERTS_URL must be an http(s) URL of a JWKS, was '" + certs + "'");
    }
    return new RelaySettings(target, audience, account, certs, maxBody(variables.apply("RELAY_MAX_BODY_BYTES")));
  }

  private static long maxBody(String raw) {
    String s = blankToNull(raw);
    if (s == null) {
      return DEFAULT_MAX_BODY;
    }
    long n;
    try {
      n = Long.parseLong(s);
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 1024 || n > MAX_MAX_BODY || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalStateException("RELAY_MAX_BODY_BYTES must be a number of bytes from 1024 to " + MAX_MAX_BODY
          + ", was '"
          + raw + "'; leave it unset for " + DEFAULT_MAX_BODY + " (a push of Pub/Sub's largest message)");
    }
    return n;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }
}
