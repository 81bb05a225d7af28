package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.ImpersonatedCredentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import dev.privateegress.testing.MutableClock;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Service-account keys, impersonation, user credentials and the selection of a source, on loopback only. */
class CredentialTokensTest {
  private static final String AUD = "https://svc-abc-uc.a.run.app";
  private static final String SA = "deployer@test-project.iam.gserviceaccount.com";
  private static final String TARGET = "invoker@test-project.iam.gserviceaccount.com";

  @TempDir Path dir;
  private final MutableClock clock = MutableClock.start();
  private final RecordingListener listener = new RecordingListener();
  private FakeGoogleOAuth oauth;

  @BeforeEach
  void start() throws Exception {
    oauth = new FakeGoogleOAuth(clock);
  }

  @AfterEach
  void stop() {
    oauth.close();
  }

  private PrivateEgressBuilder builder(Map<String, String> env) {
    return PrivateEgress.builder().environment(env).clock(clock).listener(listener);
  }

  @Test
  void serviceAccountKeyFromGoogleApplicationCredentialsMintsCachedIdAndAccessTokens() throws IOException {
    Path key = oauth.keyFile(dir, SA);
    TokenProvider tokens = builder(Map.of("GOOGLE_APPLICATION_CREDENTIALS", key.toString())).build().tokens();
    Token id = tokens.idToken(AUD);
    assertThat(id.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
    assertThat(MetadataTokensTest.jwtClaims(id)).contains("\"aud\":\"" + AUD + "\"", "\"email\":\"" + SA + "\"");
    for (int i = 0; i < 1000; i++) {
      assertThat(tokens.idToken(AUD)).isSameAs(id);
    }
    assertThat(oauth.count("sa-id:" + AUD)).isEqualTo(1);

    Token access = tokens.accessToken();
    assertThat(access.value()).startsWith("ya29.sa-");
    assertThat(tokens.accessToken()).isSameAs(access);
    assertThat(oauth.count("sa-access")).isEqualTo(1);

    clock.advance(Duration.ofMinutes(57));
    assertThat(tokens.idToken(AUD)).isNotEqualTo(id);
    assertThat(oauth.count("sa-id:" + AUD)).isEqualTo(2);
    assertThat(listener.successes()).isEqualTo(3);
  }

  @Test
  void explicitServiceAccountCredentialsWinOverTheEnvironment() throws IOException {
    Path key = oauth.keyFile(dir, SA);
    GoogleCredentials creds;
    try (InputStream in = Files.newInputStream(key)) {
      creds = ServiceAccountCredentials.fromStream(in);
    }
    TokenProvider tokens = builder(Map.of("GOOGLE_APPLICATION_CREDENTIALS", dir.resolve("missing.json").toString(),
        "GCE_METADATA_HOST", "127.0.0.1:1")).credentials(creds).build().tokens();
    assertThat(tokens.idToken(AUD).value()).isNotEmpty();
    assertThat(oauth.count("sa-id:" + AUD)).isEqualTo(1);
  }

  @Test
  void theDoctorNamesExplicitCredentialsOverTheEnvironmentWithoutMinting() throws IOException {
    GoogleCredentials creds;
    try (InputStream in = Files.newInputStream(oauth.keyFile(dir, SA))) {
      creds = ServiceAccountCredentials.fromStream(in);
    }
    PrivateEgress egress = builder(Map.of("GOOGLE_APPLICATION_CREDENTIALS", dir.resolve("missing.json").toString(),
        "GCE_METADATA_HOST", "127.0.0.1:1", "NO_GCE_CHECK", "true")).credentials(creds).build();
    assertThat(dev.privateegress.internal.GoogleTokenProvider.describe(egress.runtime()))
        .isEqualTo("service account " + SA + " (PrivateEgress.builder().credentials(...))");
    assertThat(oauth.count("sa-access")).isZero();
  }

  @Test
  void impersonatedCredentialsMintIdTokensThroughIamWithEmailWhenFull() throws IOException {
    GoogleCredentials source;
    try (InputStream in = Files.newInputStream(oauth.keyFile(dir, SA))) {
      source = ServiceAccountCredentials.fromStream(in);
    }
    ImpersonatedCredentials imp = ImpersonatedCredentials.newBuilder()
        .setSourceCredentials(source)
        .setTargetPrincipal(TARGET)
        .setScopes(List.of("https://www.googleapis.com/auth/cloud-platform"))
        .setLifetime(3600)
        .setHttpTransportFactory(oauth.transport())
        .build();
    TokenProvider tokens = builder(Map.of()).credentials(imp).build().tokens();
    Token id = tokens.idToken(AUD);
    assertThat(MetadataTokensTest.jwtClaims(id)).contains("\"email\":\"" + TARGET + "\"");
    assertThat(tokens.idToken(AUD)).isSameAs(id);
    assertThat(oauth.count("iam-id:" + AUD)).isEqualTo(1);
    tokens.idToken("1234-x.apps.googleusercontent.com");
    assertThat(oauth.count("iam-id:1234-x.apps.googleusercontent.com:email")).isEqualTo(1);

    Token access = tokens.accessToken();
    assertThat(access.value()).startsWith("ya29.imp-");
    assertThat(access.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
    assertThat(oauth.count("iam-access")).isEqualTo(1);
  }

  @Test
  void impersonationWithoutPermissionSaysWhichRoleIsMissing() throws IOException {
    GoogleCredentials source;
    try (InputStream in = Files.newInputStream(oauth.keyFile(dir, SA))) {
      source = ServiceAccountCredentials.fromStream(in);
    }
    oauth.denyImpersonation = true;
    ImpersonatedCredentials imp = ImpersonatedCredentials.newBuilder()
        .setSourceCredentials(source).setTargetPrincipal(TARGET)
        .setScopes(List.of("https://www.googleapis.com/auth/cloud-platform"))
        .setHttpTransportFactory(oauth.transport()).build();
    TokenProvider tokens = builder(Map.of()).credentials(imp).build().tokens();
    assertThatThrownBy(() -> tokens.idToken(AUD))
        .isInstanceOf(TokenException.class)
        .hasMessageContaining(AUD)
        .hasMessageContaining("impersonated service account " + TARGET)
        .hasMessageContaining("roles/iam.serviceAccountTokenCreator");
  }

  private Path userCredentialsFile(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, "{\"type\":\"authorized_user\",\"client_id\":\"764086051850-x.apps.googleusercontent.com\","
        + "\"client_secret\":\"secret-xyz\",\"refresh_token\":\"1//refresh-abc\",\"token_uri\":\"" + oauth.base()
        + "/token\"}");
    return file;
  }

  @Test
  void userCredentialsFailFastWithTheImpersonationCommand() throws IOException {
    Path file = userCredentialsFile(dir.resolve("user.json"));
    TokenProvider tokens = builder(Map.of("GOOGLE_APPLICATION_CREDENTIALS", file.toString())).build().tokens();
    assertThatThrownBy(() -> tokens.idToken(AUD))
        .isInstanceOf(TokenException.class)
        .hasMessageContaining(AUD)
        .hasMessageContaining("user credentials")
        .hasMessageContaining("gcloud auth application-default login --impersonate-service-account=SA_EMAIL")
        .hasMessageContaining("GOOGLE_APPLICATION_CREDENTIALS")
        .hasMessageNotContaining("secret-xyz")
        .hasMessageNotContaining("refresh-abc");
    assertThat(oauth.counts).isEmpty(); // detected before any network call
    assertThat(listener.failures()).isEqualTo(1);
  }

  @Test
  void gcloudApplicationDefaultFileIsFoundThroughHomeOrCloudsdkConfig() throws IOException {
    userCredentialsFile(dir.resolve("home/.config/gcloud/application_default_credentials.json"));
    TokenProvider viaHome = builder(Map.of("HOME", dir.resolve("home").toString())).build().tokens();
    assertThatThrownBy(() -> viaHome.idToken(AUD)).isInstanceOf(TokenException.class)
        .hasMessageContaining("gcloud application-default credentials")
        .hasMessageContaining("--impersonate-service-account");

    Path key = oauth.keyFile(dir, SA);
    Files.createDirectories(dir.resolve("cfg"));
    Files.copy(key, dir.resolve("cfg/application_default_credentials.json"));
    TokenProvider viaConfig = builder(Map.of("CLOUDSDK_CONFIG", dir.resolve("cfg").toString(),
        "HOME", dir.resolve("home").toString())).build().tokens();
    assertThat(viaConfig.idToken(AUD).value()).isNotEmpty();
    assertThat(oauth.count("sa-id:" + AUD)).isEqualTo(1);
  }

  @Test
  void noCredentialsAnywhereExplainsTheOptions() {
    TokenProvider tokens = builder(Map.of("HOME", dir.toString())).build().tokens();
    assertThatThrownBy(() -> tokens.idToken(AUD))
        .isInstanceOf(TokenException.class)
        .hasMessageContaining("no Google credentials found")
        .hasMessageContaining("--impersonate-service-account")
        .hasMessageContaining("GOOGLE_APPLICATION_CREDENTIALS")
        .hasMessageContaining("GCE_METADATA_HOST");
    assertThatThrownBy(tokens::accessToken).isInstanceOf(TokenException.class);
  }

  @Test
  void missingOrBrokenCredentialsFileNamesTheVariableAndPath() throws IOException {
    Path missing = dir.resolve("nope.json");
    TokenProvider tokens = builder(Map.of("GOOGLE_APPLICATION_CREDENTIALS", missing.toString())).build().tokens();
    assertThatThrownBy(() -> tokens.idToken(AUD)).isInstanceOf(TokenException.class)
        .hasMessageContaining("GOOGLE_APPLICATION_CREDENTIALS=" + missing)
        .hasMessageContaining("not found");

    Path broken = Files.writeString(dir.resolve("broken.json"), "{\"type\":\"carrier_pigeon\"}");
    Map<String, String> env = new HashMap<>();
    env.put("GOOGLE_APPLICATION_CREDENTIALS", broken.toString());
    TokenProvider brokenTokens = builder(env).build().tokens();
    assertThatThrownBy(brokenTokens::accessToken).isInstanceOf(TokenException.class)
        .hasMessageContaining(broken.toString())
        .hasMessageContaining("service_account");
  }

  @Test
  void tokenTextNeverAppearsInToString() {
    Token t = new Token("eyJhbGciOiJSUzI1NiJ9.secret-payload.sig", clock.instant());
    assertThat(t.toString()).doesNotContain("eyJ").doesNotContain("secret").contains("redacted");
  }
}
