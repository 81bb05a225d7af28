package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.privateegress.internal.GoogleTokenProvider;
import dev.privateegress.internal.NetworkAdvice;
import dev.privateegress.internal.NetworkChecks;
import dev.privateegress.testing.FakeMetadataServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PrivateEgress#doctor}: report shape, token checks, credentials line, advice. */
class DoctorTest {

  static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static ServerSocket listening() throws Exception {
    return new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
  }

  @Test
  void aClosedLocalPortFailsTcpWithAdviceAndTheJsonHasTheContractShape() throws Exception {
    int port = closedPort();
    PrivateEgress egress = PrivateEgress.builder().environment(Map.of()).build();
    DoctorReport report = egress.doctor("tcp://127.0.0.1:" + port);

    assertThat(report.ok()).isFalse();
    assertThat(report.platform()).isEqualTo(Platform.LOCAL);
    assertThat(report.checks()).extracting(CheckResult::check).containsExactly(CheckKind.DNS, CheckKind.TCP);
    CheckResult tcp = report.checks().get(1);
    assertThat(tcp.ok()).isFalse();
    assertThat(tcp.advice()).contains("nothing listens on 127.0.0.1:" + port);

    JsonObject json = JsonParser.parseString(report.toJson()).getAsJsonObject();
    assertThat(json.get("platform").getAsString()).isEqualTo("local");
    assertThat(json.get("project").isJsonNull()).isTrue();
    assertThat(json.get("region").isJsonNull()).isTrue();
    assertThat(json.get("credentials").getAsString()).startsWith("none");
    JsonObject eg = json.getAsJsonObject("egress");
    assertThat(eg.get("mode").getAsString()).isEqualTo("none");
    assertThat(eg.get("scope").getAsString()).isEqualTo("unknown");
    assertThat(eg.get("source").getAsString()).isEqualTo("platform");
    assertThat(eg.getAsJsonArray("evidence")).isNotEmpty();
    assertThat(eg.getAsJsonArray("evidence").get(0).getAsJsonObject().keySet()).containsExactly("source", "detail");
    JsonArray checks = json.getAsJsonArray("checks");
    assertThat(checks).hasSize(2);
    JsonObject c = checks.get(1).getAsJsonObject();
    assertThat(c.keySet()).containsExactly("target", "check", "ok", "millis", "detail", "advice");
    assertThat(c.get("target").getAsString()).isEqualTo("tcp://127.0.0.1:" + port);
    assertThat(c.get("check").getAsString()).isEqualTo("tcp");
    assertThat(c.get("ok").getAsBoolean()).isFalse();
    assertThat(c.get("advice").getAsString()).contains("nothing listens");

    String text = report.toText();
    assertThat(text).contains("platform     local").contains("egress       none").contains("FAIL")
        .contains("      -> nothing listens").contains("1 of 2 checks failed");
  }

  @Test
  void aListeningPortPasses() throws Exception {
    try (ServerSocket s = listening()) {
      DoctorReport report = PrivateEgress.builder().environment(Map.of()).build()
          .doctor("tcp://127.0.0.1:" + s.getLocalPort());
      assertThat(report.ok()).as(report.toText()).isTrue();
      assertThat(report.checks().get(1).detail()).startsWith("connected to 127.0.0.1:" + s.getLocalPort());
      assertThat(report.toText()).contains("all 2 checks passed");
    }
  }

  @Test
  void ipv6AddressesAreBracketedInEveryRow() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 50, java.net.InetAddress.getByName("::1"));
        ServerSocket free = new ServerSocket(0, 50, java.net.InetAddress.getByName("::1"))) {
      int closed = free.getLocalPort();
      free.close();
      DoctorReport report = PrivateEgress.builder().environment(Map.of()).build()
          .doctor("tcp://[::1]:" + s.getLocalPort(), "tcp://[::1]:" + closed);
      String text = report.toText();
      assertThat(text).as(text)
          .contains("connected to [::1]:" + s.getLocalPort())
          .contains("[::1]:" + closed)
          .doesNotContain("0:0:0:0:0:0:0:1");
    }
  }

  @Test
  void noTargetsSaysHowToGiveSome() {
    DoctorReport report = PrivateEgress.builder().environment(Map.of()).build().doctor();
    assertThat(report.ok()).isTrue();
    assertThat(report.toText()).contains("no targets given");
  }

  @Test
  void anAudienceHostGetsATokenCheckThatShowsAudAndExpiryButNeverTheToken() throws Exception {
    try (FakeMetadataServer md = FakeMetadataServer.start(); ServerSocket s = listening()) {
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("GCE_METADATA_HOST", md.hostPort(),
              "PRIVATE_EGRESS_AUDIENCES", "api.internal.test=https://api.example.com",
              "PRIVATE_EGRESS_HOSTS", "api.internal.test=127.0.0.1,plain.internal.test=127.0.0.1"))
          .build();
      DoctorReport report = egress.doctor("http://api.internal.test:" + s.getLocalPort() + "/",
          "http://plain.internal.test:" + s.getLocalPort() + "/");

      assertThat(report.platform()).isEqualTo(Platform.GCE);
      assertThat(report.credentials()).isEqualTo("metadata server (runtime@test-project.iam.gserviceaccount.com)");
      assertThat(report.checks()).extracting(CheckResult::check)
          .containsExactly(CheckKind.DNS, CheckKind.TCP, CheckKind.TOKEN, CheckKind.DNS, CheckKind.TCP);
      CheckResult token = report.checks().get(2);
      assertThat(token.ok()).as(token.toString()).isTrue();
      // A Cloud Run audience gets a standard-format token: no email claim to show.
      assertThat(token.detail()).contains("aud=https://api.example.com").doesNotContain("email=")
          .contains("exp=").contains("min left");
      assertThat(md.identityRequests("https://api.example.com")).isEqualTo(1);
      // JWTs start with the base64 of '{"': "eyJ". None may leak into any output.
      assertThat(report.toJson()).doesNotContain("eyJ");
      assertThat(report.toText()).doesNotContain("eyJ");
      assertThat(report.ok()).isTrue();
    }
  }

  @Test
  void aTokenForAnotherAudienceIsAWrongAudience() throws Exception {
    String userToken = jwt("{\"aud\":\"32555940559.apps.googleusercontent.com\",\"exp\":4102444800}");
    TokenProvider userCredentials = new FixedTokens(userToken, Instant.ofEpochSecond(4102444800L));
    try (ServerSocket s = listening()) {
      PrivateEgress egress = PrivateEgress.builder().environment(Map.of())
          .audience("api.internal.test", "https://api.example.com").host("api.internal.test", "127.0.0.1")
          .tokenProvider(userCredentials).build();
      DoctorReport report = egress.doctor("http://api.internal.test:" + s.getLocalPort() + "/");
      CheckResult token = report.checks().stream().filter(c -> c.check() == CheckKind.TOKEN).findFirst().orElseThrow();
      assertThat(token.ok()).isFalse();
      assertThat(token.detail()).contains("aud=32555940559.apps.googleusercontent.com");
      assertThat(token.advice()).startsWith("wrong audience").contains("--impersonate-service-account");
      assertThat(report.credentials()).startsWith("custom TokenProvider");
      assertThat(report.toJson()).doesNotContain(userToken);
    }
  }

  @Test
  void noCredentialsOnALaptopSaysHowToGetThem() throws Exception {
    TokenProvider none = new FixedTokens(null, null);
    int port = closedPort();
    // *.run.app hosts get an audience by default; the override keeps the lookup off any real resolver.
    PrivateEgress egress = PrivateEgress.builder().environment(Map.of())
        .host("hello-abc-uc.a.run.app", "127.0.0.1").tokenProvider(none).build();
    DoctorReport report = egress.doctor("https://127.0.0.1:" + port + "/", "https://hello-abc-uc.a.run.app:" + port + "/");
    // 127.0.0.1 has no audience: no token check for it. The run.app host does, and fails to mint.
    assertThat(report.checks()).filteredOn(c -> c.target().contains("127.0.0.1"))
        .extracting(CheckResult::check).doesNotContain(CheckKind.TOKEN);
    CheckResult token = report.checks().stream().filter(c -> c.check() == CheckKind.TOKEN).findFirst().orElseThrow();
    assertThat(token.ok()).isFalse();
    assertThat(token.target()).contains("hello-abc-uc.a.run.app");
    assertThat(token.detail()).contains("https://hello-abc-uc.a.run.app");
    assertThat(token.advice()).contains("gcloud auth application-default login");
  }

  @Test
  void theCredentialsLineNamesTheSourceTokensReallyComeFrom(@TempDir Path gcloud) throws Exception {
    // An ADC file and a metadata server: tokens come from the metadata server, and the doctor must say so.
    Files.writeString(gcloud.resolve("application_default_credentials.json"), "{\"type\":\"authorized_user\","
        + "\"client_id\":\"x\",\"client_secret\":\"SECRET\",\"refresh_token\":\"SECRET\"}", StandardCharsets.UTF_8);
    try (FakeMetadataServer md = FakeMetadataServer.start()) {
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("GCE_METADATA_HOST", md.hostPort(), "CLOUDSDK_CONFIG", gcloud.toString()))
          .build();
      DoctorReport report = egress.doctor();
      assertThat(report.credentials()).isEqualTo("metadata server (runtime@test-project.iam.gserviceaccount.com)");
      assertThat(md.accessTokenRequests()).isZero(); // describing mints nothing
      egress.tokens().accessToken();
      assertThat(md.accessTokenRequests()).isEqualTo(1);
    }
  }

  @Test
  void withoutMetadataServerTheGcloudFileIsNamedAndWithoutAnythingTheFixIsShown(@TempDir Path gcloud)
      throws Exception {
    PrivateEgress none = PrivateEgress.builder().environment(Map.of("CLOUDSDK_CONFIG", gcloud.toString())).build();
    assertThat(none.doctor().credentials()).startsWith("none: no Google credentials found")
        .contains("--impersonate-service-account");
    Path adc = gcloud.resolve("application_default_credentials.json");
    Files.writeString(adc, "{\"type\":\"authorized_user\",\"client_id\":\"x\",\"client_secret\":\"SECRET\","
        + "\"refresh_token\":\"SECRET\"}", StandardCharsets.UTF_8);
    PrivateEgress local = PrivateEgress.builder().environment(Map.of("CLOUDSDK_CONFIG", gcloud.toString())).build();
    assertThat(local.doctor().credentials()).startsWith("user credentials (gcloud application-default credentials "
        + adc + ")").doesNotContain("SECRET");
  }

  @Test
  void credentialFilesAreDescribedWithoutTheirSecrets(@TempDir Path dir) throws Exception {
    Path sa = dir.resolve("sa.json");
    Files.writeString(sa, "{\"type\":\"service_account\",\"project_id\":\"p\",\"private_key_id\":\"k1\","
        + "\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nSECRETSECRET\\n-----END PRIVATE KEY-----\\n\","
        + "\"client_email\":\"app@p.iam.gserviceaccount.com\"}", StandardCharsets.UTF_8);
    String d = GoogleTokenProvider.describeFile(sa, "GOOGLE_APPLICATION_CREDENTIALS=" + sa);
    assertThat(d).startsWith("service-account key app@p.iam.gserviceaccount.com").doesNotContain("SECRET");

    Path user = dir.resolve("adc.json");
    Files.writeString(user, "{\"type\":\"authorized_user\",\"client_id\":\"x\",\"client_secret\":\"SECRET\","
        + "\"refresh_token\":\"SECRET\"}", StandardCharsets.UTF_8);
    assertThat(GoogleTokenProvider.describeFile(user, "gcloud"))
        .startsWith("user credentials").contains("impersonate").doesNotContain("SECRET");

    Path imp = dir.resolve("imp.json");
    Files.writeString(imp, "{\"type\":\"impersonated_service_account\",\"service_account_impersonation_url\":"
        + "\"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/run@p.iam.gserviceaccount.com"
        + ":generateAccessToken\",\"source_credentials\":{\"type\":\"authorized_user\",\"refresh_token\":\"SECRET\"}}",
        StandardCharsets.UTF_8);
    assertThat(GoogleTokenProvider.describeFile(imp, "gcloud"))
        .startsWith("impersonated run@p.iam.gserviceaccount.com via authorized_user").doesNotContain("SECRET");

    assertThat(GoogleTokenProvider.describeFile(dir.resolve("missing.json"), "GOOGLE_APPLICATION_CREDENTIALS=x"))
        .contains("cannot read");
  }

  @Test
  void aPrivateNameThatDoesNotResolveLocallyIsExplained() {
    // The advice alone: resolving an unknown name in a test would ask a real DNS server.
    PrivateEgress egress = PrivateEgress.builder().environment(Map.of()).build();
    String advice = NetworkAdvice.unresolved(egress.knownEgress(), "my.api.private");
    assertThat(advice).contains("no VPC egress").contains("PRIVATE_EGRESS_HOSTS=my.api.private=127.0.0.1");
  }

  @Test
  void aPublicAddressUnderPrivateRangesOnlyIsARouteProblemUnlessTheHostIsPublicByDesign() {
    // DNS checks only: TEST-NET-3 addresses come from the overrides and are never connected to.
    PrivateEgress egress = PrivateEgress.builder().environment(Map.of("PRIVATE_EGRESS_SCOPE", "private-ranges-only"))
        .host("my.api.private", "203.0.113.10").host("hello-abc-uc.a.run.app", "203.0.113.11").build();
    CheckResult privateName = egress.runtime().network().dns(Target.parse("http://my.api.private/"), NetworkChecks.DEFAULT_DNS_TIMEOUT).result();
    assertThat(privateName.ok()).isFalse();
    assertThat(privateName.detail()).contains("203.0.113.10 (public)");
    assertThat(privateName.advice()).startsWith("route bypasses the VPC");

    CheckResult runApp = egress.runtime().network().dns(Target.parse("https://hello-abc-uc.a.run.app/"), NetworkChecks.DEFAULT_DNS_TIMEOUT).result();
    assertThat(runApp.ok()).isTrue();
    assertThat(runApp.detail()).contains("takes the public path, not the VPC").contains("all-traffic");
  }

  static String jwt(String claims) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + ".c2ln";
  }

  /** A token source with a fixed answer (or none), standing in for user credentials. */
  static final class FixedTokens implements TokenProvider {
    private final String value;
    private final Instant expiry;

    FixedTokens(String value, Instant expiry) {
      this.value = value;
      this.expiry = expiry;
    }

    @Override
    public Token idToken(String audience) {
      if (value == null) {
        throw new TokenException("no credentials found (ADC not configured)");
      }
      return new Token(value, expiry);
    }

    @Override
    public Token accessToken() {
      return idToken("");
    }

    @Override
    public Token refreshIdToken(String audience, Token rejected) {
      return idToken(audience);
    }
  }
}
