package dev.privateegress.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FakeMetadataServerTest {
  private static final String ID = "instance/service-accounts/default/identity";

  private final MutableClock clock = MutableClock.start();
  private FakeMetadataServer md;

  @BeforeEach
  void start() {
    md = FakeMetadataServer.start(clock);
  }

  @AfterEach
  void stop() {
    md.close();
  }

  record Response(int status, String flavor, String body) {}

  private Response get(String path, Map<String, String> headers, int readTimeoutMillis) throws IOException {
    URL url = new URL("http://" + md.hostPort() + "/computeMetadata/v1/" + path);
    HttpURLConnection c = (HttpURLConnection) url.openConnection(Proxy.NO_PROXY);
    c.setConnectTimeout(2000);
    c.setReadTimeout(readTimeoutMillis);
    headers.forEach(c::setRequestProperty);
    try {
      int status = c.getResponseCode();
      InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
      String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return new Response(status, c.getHeaderField("Metadata-Flavor"), body);
    } finally {
      c.disconnect();
    }
  }

  private Response get(String path) throws IOException {
    return get(path, Map.of("Metadata-Flavor", "Google"), 5000);
  }

  private static String claims(String jwt) {
    String[] parts = jwt.split("\\.", -1);
    assertThat(parts).hasSize(3);
    assertThat(new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8)).contains("\"alg\":\"none\"");
    return new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
  }

  @Test
  void requestsWithoutFlavorOrWithForwardedForAreRefused() throws IOException {
    Response none = get("project/project-id", Map.of(), 5000);
    assertThat(none.status()).isEqualTo(403);
    assertThat(none.body()).contains("Metadata-Flavor");
    Response wrong = get("project/project-id", Map.of("Metadata-Flavor", "google-ish"), 5000);
    assertThat(wrong.status()).isEqualTo(403);
    Response proxied = get("project/project-id", Map.of("Metadata-Flavor", "Google", "X-Forwarded-For", "1.2.3.4"), 5000);
    assertThat(proxied.status()).isEqualTo(403);
    assertThat(md.requestCount()).isEqualTo(3);
  }

  @Test
  void responsesCarryFlavorUnlessToldOtherwise() throws IOException {
    Response ok = get("project/project-id");
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.flavor()).isEqualTo("Google");
    assertThat(get("no/such/path").flavor()).isEqualTo("Google");

    md.omitFlavorHeader(true);
    Response bare = get("project/project-id");
    assertThat(bare.status()).isEqualTo(200);
    assertThat(bare.flavor()).isNull();
  }

  @Test
  void servesInstanceAndProjectValues() throws IOException {
    md.projectId("p1").projectNumber("42").region("europe-west1").zone("europe-west1-1")
        .serviceAccountEmail("sa@p1.iam.gserviceaccount.com").set("instance/attributes/x", "y");
    assertThat(get("project/project-id").body()).isEqualTo("p1");
    assertThat(get("project/numeric-project-id").body()).isEqualTo("42");
    assertThat(get("instance/region").body()).isEqualTo("projects/42/regions/europe-west1");
    assertThat(get("instance/zone").body()).isEqualTo("projects/42/zones/europe-west1-1");
    assertThat(get("instance/id").body()).isNotBlank();
    assertThat(get("instance/service-accounts/default/email").body()).isEqualTo("sa@p1.iam.gserviceaccount.com");
    assertThat(get("instance/attributes/x").body()).isEqualTo("y");
    md.set("instance/attributes/x", null);
    assertThat(get("instance/attributes/x").status()).isEqualTo(404);
    assertThat(md.environment()).containsExactly(Map.entry("GCE_METADATA_HOST", md.hostPort()));
  }

  @Test
  void identityTokensCarryClaimsAndEmailOnlyWhenFull() throws IOException {
    md.tokenLifetime(Duration.ofMinutes(20)).serviceAccountEmail("run@p.iam.gserviceaccount.com");
    long now = clock.instant().getEpochSecond();
    Response standard = get(ID + "?audience=https%3A%2F%2Fsvc.a.run.app");
    assertThat(standard.status()).isEqualTo(200);
    String c = claims(standard.body());
    assertThat(c).contains("\"aud\":\"https://svc.a.run.app\"", "\"iat\":" + now, "\"exp\":" + (now + 1200),
        "\"iss\":\"https://accounts.google.com\"").doesNotContain("email");

    clock.advance(Duration.ofMinutes(5));
    Response full = get(ID + "?audience=x.apps.googleusercontent.com&format=full");
    assertThat(claims(full.body())).contains("\"email\":\"run@p.iam.gserviceaccount.com\"",
        "\"exp\":" + (now + 300 + 1200), "\"aud\":\"x.apps.googleusercontent.com\"");
    assertThat(full.body()).isNotEqualTo(get(ID + "?audience=x.apps.googleusercontent.com&format=full").body());

    assertThat(get(ID).status()).isEqualTo(400);
    assertThat(md.identityRequests("https://svc.a.run.app")).isEqualTo(1);
    assertThat(md.identityRequests("x.apps.googleusercontent.com")).isEqualTo(2);
    assertThat(md.identityRequests()).isEqualTo(4);
    assertThat(md.fullFormatRequests()).isEqualTo(2);
  }

  @Test
  void accessTokensUseTheConfiguredLifetime() throws IOException {
    md.tokenLifetime(Duration.ofSeconds(1799));
    Response r = get("instance/service-accounts/default/token");
    assertThat(r.body()).contains("\"expires_in\":1799", "\"token_type\":\"Bearer\"", "\"access_token\":\"ya29.");
    assertThat(get("instance/service-accounts/default/token").body()).isNotEqualTo(r.body());
    assertThat(md.accessTokenRequests()).isEqualTo(2);
    md.resetCounts();
    assertThat(md.accessTokenRequests()).isZero();
    assertThat(md.requestCount()).isZero();
  }

  @Test
  void injectedFailuresHitOnlyTheirPathAndCount() throws IOException {
    md.failNext(2, 503, ID);
    assertThat(get("project/project-id").status()).isEqualTo(200);
    assertThat(get(ID + "?audience=a").status()).isEqualTo(503);
    Response second = get(ID + "?audience=a");
    assertThat(second.status()).isEqualTo(503);
    assertThat(second.flavor()).isEqualTo("Google");
    assertThat(get(ID + "?audience=a").status()).isEqualTo(200);
    assertThat(md.identityRequests("a")).isEqualTo(3);

    md.failNext(1, 500);
    assertThat(get("project/project-id").status()).isEqualTo(500);
    assertThat(get("project/project-id").status()).isEqualTo(200);
    assertThat(md.requestCount("project/project-id")).isEqualTo(3);
  }

  @Test
  void latencyMakesClientsTimeOut() throws IOException {
    md.latency(Duration.ofMillis(600));
    assertThatThrownBy(() -> get("project/project-id", Map.of("Metadata-Flavor", "Google"), 100))
        .isInstanceOf(SocketTimeoutException.class);
    md.latency(Duration.ZERO);
    assertThat(get("project/project-id").status()).isEqualTo(200);
  }

  @Test
  void startsOnAFixedPort() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    try (FakeMetadataServer fixed = FakeMetadataServer.start(clock, port)) {
      assertThat(fixed.port()).isEqualTo(port);
      assertThat(fixed.hostPort()).isEqualTo("127.0.0.1:" + port);
    }
    assertThatThrownBy(() -> FakeMetadataServer.start(clock, 70000)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void mutableClockMovesOnlyWhenTold() {
    MutableClock c = MutableClock.start();
    Instant t0 = c.instant();
    assertThat(c.instant()).isEqualTo(t0);
    c.advance(Duration.ofSeconds(5));
    assertThat(c.withZone(java.time.ZoneId.of("Europe/Paris")).instant()).isEqualTo(t0.plusSeconds(5));
    c.set(t0);
    assertThat(c.instant()).isEqualTo(t0);
  }
}
