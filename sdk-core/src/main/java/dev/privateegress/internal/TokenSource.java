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
import dev.privateegress.internal.MetadataClient.MetadataException;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where tokens come from: the metadata server ({@link Metadata}) or google-auth credentials ({@link
 * Credentials}). One attempt per call; {@link GoogleTokenProvider} picks the source, retries and caches.
 */
interface TokenSource {

  /**
   * Mints an ID token for {@code audience}.
   *
   * @param full ask for the {@code email} claim ({@code format=full} / include-email)
   * @param budget time left for this attempt
   * @throws IOException when the attempt failed; {@link GoogleTokenProvider#retryable} decides whether
   *     another attempt is worth it
   */
  Token idToken(String audience, boolean full, Duration budget) throws IOException;

  /** Mints an OAuth2 access token with the cloud-platform scope. */
  Token accessToken(Duration budget) throws IOException;

  /** Where tokens come from, for messages and logs, e.g. {@code the metadata server at 169.254.169.254}. */
  String description();

  /**
   * Tokens from the metadata server through {@link MetadataClient}, which honours the injected {@code
   * GCE_METADATA_HOST} and checks {@code Metadata-Flavor} both ways (google-auth's ComputeEngineCredentials
   * would read the real process environment instead).
   */
  static final class Metadata implements TokenSource {
    static final String IDENTITY = "instance/service-accounts/default/identity";
    static final String TOKEN = "instance/service-accounts/default/token";

    private static final Pattern ACCESS = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern EXPIRES_IN = Pattern.compile("\"expires_in\"\\s*:\\s*(\\d+)");
    private static final Duration MAX_CONNECT = Duration.ofSeconds(1);
    private static final Duration MAX_READ = Duration.ofSeconds(4);

    private final MetadataClient metadata;
    private final Clock clock;

    Metadata(MetadataClient metadata, Clock clock) {
      this.metadata = metadata;
      this.clock = clock;
    }

    @Override
    public Token idToken(String audience, boolean full, Duration budget) throws IOException {
      String path = IDENTITY + "?audience=" + URLEncoder.encode(audience, StandardCharsets.UTF_8)
          + (full ? "&format=full" : "");
      String jwt = get(path, budget).strip();
      return Util.idToken(jwt, "the metadata server at " + metadata.host());
    }

    @Override
    public Token accessToken(Duration budget) throws IOException {
      String json = get(TOKEN, budget);
      Matcher a = ACCESS.matcher(json);
      Matcher e = EXPIRES_IN.matcher(json);
      if (!a.find() || !e.find()) {
        // Never echo the body: it may hold a token.
        throw new IOException("the metadata server at " + metadata.host() + " answered " + TOKEN
            + " without access_token/expires_in (" + json.length() + " bytes)");
      }
      return new Token(a.group(1), clock.instant().plusSeconds(Long.parseLong(e.group(1))));
    }

    private String get(String path, Duration budget) throws MetadataException {
      Duration connect = budget.compareTo(MAX_CONNECT) < 0 ? budget : MAX_CONNECT;
      Duration read = budget.compareTo(MAX_READ) < 0 ? budget : MAX_READ;
      String base = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
      return metadata.get(path, connect, read).orElseThrow(() -> new MetadataException("the metadata server at "
          + metadata.host() + " has no " + base + " (HTTP 404); this runtime has no service account attached",
          404));
    }

    @Override
    public String description() {
      return "the metadata server at " + metadata.host();
    }
  }

  /**
   * Tokens from google-auth credentials (service-account key, impersonated service account, user
   * credentials for access tokens only). google-auth does the HTTP; this SDK's cache does the caching, so
   * google-auth's own cache is bypassed ({@code refreshAccessToken}, {@code idTokenWithAudience}).
   */
  static final class Credentials implements TokenSource {
    static final String CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform";
    /** Used only when credentials return an access token without expiry: short, so it is re-fetched soon. */
    static final Duration UNKNOWN_ACCESS_LIFETIME = Duration.ofMinutes(10);

    private final GoogleCredentials credentials;
    private final GoogleCredentials scoped;
    private final String origin;
    private final Clock clock;

    Credentials(GoogleCredentials credentials, String origin, Clock clock) {
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
      return who(credentials) + " (" + origin + ")";
    }

    /** Who the credentials act as, e.g. {@code service account a@p.iam.gserviceaccount.com}; never a secret. */
    static String who(GoogleCredentials credentials) {
      if (credentials instanceof ServiceAccountCredentials sa) {
        return "service account " + sa.getClientEmail();
      } else if (credentials instanceof ImpersonatedCredentials ic) {
        return "impersonated service account " + ic.getAccount();
      } else if (credentials instanceof UserCredentials) {
        return "user credentials";
      }
      return credentials.getClass().getSimpleName();
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
}
