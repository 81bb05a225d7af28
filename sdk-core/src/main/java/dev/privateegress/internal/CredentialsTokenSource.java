package dev.privateegress.internal;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.IdToken;
import com.google.auth.oauth2.IdTokenProvider;
import com.google.auth.oauth2.ImpersonatedCredentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import com.google.auth.oauth2.UserCredentials;
import dev.privateegress.Token;
import dev.privateegress.TokenException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Tokens from google-auth credentials (service-account key, impersonated service account, user
 * credentials for access tokens only). google-auth does the HTTP; this SDK's cache does the caching, so
 * google-auth's own cache is bypassed ({@code refreshAccessToken}, {@code idTokenWithAudience}).
 */
final class CredentialsTokenSource implements TokenSource {
  static final String CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform";
  /** Used only when credentials return an access token without expiry: short, so it is re-fetched soon. */
  static final Duration UNKNOWN_ACCESS_LIFETIME = Duration.ofMinutes(10);

  private final GoogleCredentials credentials;
  private final GoogleCredentials scoped;
  private final String origin;
  private final Clock clock;

  CredentialsTokenSource(GoogleCredentials credentials, String origin, Clock clock) {
    this.credentials = credentials;
    this.scoped = credentials.createScopedRequired() ? credentials.createScoped(List.of(CLOUD_PLATFORM)) : credentials;
    this.origin = origin;
    this.clock = clock;
  }

  @Override
  public Token idToken(String audience, boolean full, Duration budget) throws IOException {
    if (credentials instanceof UserCredentials) {
      throw new TokenException(userCredentialsMessage(audience, origin));
    }
    if (!(credentials instanceof IdTokenProvider provider)) {
      throw new TokenException("cannot mint an ID token for audience " + audience + ": credentials of type "
          + credentials.getClass().getSimpleName() + " (" + origin + ") cannot create ID tokens. Use a "
          + "service-account key (GOOGLE_APPLICATION_CREDENTIALS), impersonation (gcloud auth "
          + "application-default login --impersonate-service-account=SA_EMAIL) or the metadata server.");
    }
    List<IdTokenProvider.Option> options = full
        ? List.of(IdTokenProvider.Option.FORMAT_FULL, IdTokenProvider.Option.INCLUDE_EMAIL)
        : List.of();
    IdToken id;
    try {
      id = provider.idTokenWithAudience(audience, options);
    } catch (IOException e) {
      throw new IOException(e.getMessage() + hint(e), e);
    }
    if (id == null || id.getTokenValue() == null) {
      throw new IOException(description() + " returned no ID token for audience " + audience);
    }
    return Util.idToken(id.getTokenValue(), description());
  }

  @Override
  public Token accessToken(Duration budget) throws IOException {
    AccessToken a;
    try {
      a = scoped.refreshAccessToken();
    } catch (IOException e) {
      throw new IOException(e.getMessage() + hint(e), e);
    }
    if (a == null || a.getTokenValue() == null) {
      throw new IOException(description() + " returned no access token");
    }
    Instant exp = a.getExpirationTime() != null
        ? a.getExpirationTime().toInstant()
        : clock.instant().plus(UNKNOWN_ACCESS_LIFETIME);
    return new Token(a.getTokenValue(), exp);
  }

  private String hint(IOException e) {
    String m = String.valueOf(e.getMessage());
    if (credentials instanceof ImpersonatedCredentials ic && (m.contains("403") || m.contains("PERMISSION_DENIED"))) {
      return " (the caller needs roles/iam.serviceAccountTokenCreator on " + ic.getAccount()
          + ", and the IAM Service Account Credentials API must be enabled)";
    }
    return "";
  }

  @Override
  public String description() {
    String who;
    if (credentials instanceof ServiceAccountCredentials sa) {
      who = "service account " + sa.getClientEmail();
    } else if (credentials instanceof ImpersonatedCredentials ic) {
      who = "impersonated service account " + ic.getAccount();
    } else if (credentials instanceof UserCredentials) {
      who = "user credentials";
    } else {
      who = credentials.getClass().getSimpleName();
    }
    return who + " (" + origin + ")";
  }

  static String userCredentialsMessage(String audience, String origin) {
    return "cannot mint an ID token for audience " + audience + " from user credentials (" + origin + "): "
        + "an ID token from a user login is bound to the gcloud OAuth client, not to " + audience
        + ", and would be rejected with 401. Impersonate a service account instead: run "
        + "'gcloud auth application-default login --impersonate-service-account=SA_EMAIL' (you need "
        + "roles/iam.serviceAccountTokenCreator on SA_EMAIL, and SA_EMAIL needs access to the target, e.g. "
        + "roles/run.invoker), or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or pass "
        + "ImpersonatedCredentials to PrivateEgress.builder().credentials(...).";
  }
}
