package dev.privateegress.http;

import static dev.privateegress.http.Fixtures.audienceOf;
import static dev.privateegress.http.Fixtures.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.EgressConfig;
import dev.privateegress.PrivateEgress;
import dev.privateegress.testing.FakeMetadataServer;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An ID token minted for an https call never travels in cleartext: a redirect from https down to http on
 * the same host name gets no token, in every header the token may be configured to use. Real TLS on
 * loopback: an https MockWebServer with a certificate for {@code my.api.private}, which the client trusts.
 */
class TlsDowngradeTest {
  private static final String AUDIENCE = "https://my-api.example.com";
  private static HandshakeCertificates serverCerts;
  private static HandshakeCertificates clientCerts;

  private FakeMetadataServer md;
  private MockWebServer tls;
  private MockWebServer plain;

  @BeforeAll
  static void certificates() {
    HeldCertificate root = new HeldCertificate.Builder().certificateAuthority(0).commonName("test root").build();
    HeldCertificate server = new HeldCertificate.Builder()
        .commonName("my.api.private").addSubjectAlternativeName("my.api.private").signedBy(root).build();
    serverCerts = new HandshakeCertificates.Builder().heldCertificate(server, root.certificate()).build();
    clientCerts = new HandshakeCertificates.Builder().addTrustedCertificate(root.certificate()).build();
  }

  @BeforeEach
  void start() throws IOException {
    md = FakeMetadataServer.start();
    tls = new MockWebServer();
    tls.useHttps(serverCerts.sslSocketFactory());
    tls.start();
    plain = Fixtures.server();
  }

  @AfterEach
  void stop() {
    tls.close();
    plain.close();
    md.close();
  }

  private OkHttpClient client(String tokenHeader) {
    PrivateEgress egress = PrivateEgress.builder()
        .environment(Map.of(
            "GCE_METADATA_HOST", md.hostPort(),
            "K_SERVICE", "caller",
            "K_REVISION", "caller-00001",
            "PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1",
            "PRIVATE_EGRESS_AUDIENCES", "my.api.private=" + AUDIENCE,
            "PRIVATE_EGRESS_TOKEN_HEADER", tokenHeader))
        .retryPolicy(Fixtures.FAST)
        .build();
    return PrivateHttp.configure(egress, new OkHttpClient.Builder()
        .sslSocketFactory(clientCerts.sslSocketFactory(), clientCerts.trustManager())).build();
  }

  private String tlsUrl(String path) {
    return "https://my.api.private:" + tls.getPort() + path;
  }

  private String plainUrl(String path) {
    return "http://my.api.private:" + plain.getPort() + path;
  }

  private static MockResponse redirect(int code, String location) {
    return new MockResponse.Builder().code(code).setHeader("Location", location).build();
  }

  private static String get(OkHttpClient client, String url) throws IOException {
    try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
      return r.code() + " " + r.body().string();
    }
  }

  private static void assertNoTokenHeader(RecordedRequest r) {
    for (String h : EgressConfig.TOKEN_HEADERS) {
      assertThat(r.getHeaders().get(h)).as(h + " at " + r.getUrl()).isNull();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"Authorization", "X-Serverless-Authorization", "Proxy-Authorization"})
  void httpsRedirectDownToHttpOnTheSameHostCarriesNoToken(String header) throws Exception {
    OkHttpClient client = client(header);
    tls.enqueue(redirect(302, plainUrl("/landing")));
    plain.enqueue(redirect(302, tlsUrl("/back")));
    tls.enqueue(status(200));

    assertThat(get(client, tlsUrl("/start"))).isEqualTo("200 status 200");

    RecordedRequest start = tls.takeRequest(5, TimeUnit.SECONDS);
    assertThat(start.getUrl().encodedPath()).isEqualTo("/start");
    assertThat(audienceOf(start.getHeaders().get(header))).isEqualTo(AUDIENCE);
    RecordedRequest landing = plain.takeRequest(5, TimeUnit.SECONDS);
    assertThat(landing.getUrl().host()).isEqualTo("my.api.private");
    assertThat(landing.getUrl().encodedPath()).isEqualTo("/landing");
    assertNoTokenHeader(landing);
    // back on https: TLS-protected again, so the hop gets its token again
    RecordedRequest back = tls.takeRequest(5, TimeUnit.SECONDS);
    assertThat(back.getUrl().encodedPath()).isEqualTo("/back");
    assertThat(audienceOf(back.getHeaders().get(header))).isEqualTo(AUDIENCE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"Authorization", "X-Serverless-Authorization", "Proxy-Authorization"})
  void downgradeCarriesNoTokenEvenWhenOkHttpFollowsRedirectsItself(String header) throws Exception {
    // Someone re-enables OkHttp's own following after configuring: the network guard strips the token.
    OkHttpClient client = client(header).newBuilder().followRedirects(true).followSslRedirects(true).build();
    tls.enqueue(redirect(307, plainUrl("/landing")));
    plain.enqueue(status(200));

    assertThat(get(client, tlsUrl("/start"))).isEqualTo("200 status 200");

    assertThat(audienceOf(tls.takeRequest(5, TimeUnit.SECONDS).getHeaders().get(header))).isEqualTo(AUDIENCE);
    RecordedRequest landing = plain.takeRequest(5, TimeUnit.SECONDS);
    assertThat(landing.getUrl().encodedPath()).isEqualTo("/landing");
    assertNoTokenHeader(landing);
  }

  @Test
  void httpRedirectedUpToHttpsOnTheSameHostCarriesNoToken() throws Exception {
    // http://host:a -> https://host:b is another origin (scheme and port): OkHttp drops Authorization there too.
    OkHttpClient client = client("Authorization");
    plain.enqueue(redirect(301, tlsUrl("/secure")));
    tls.enqueue(status(200));

    assertThat(get(client, plainUrl("/start"))).isEqualTo("200 status 200");

    assertThat(audienceOf(plain.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("Authorization")))
        .isEqualTo(AUDIENCE);
    RecordedRequest secure = tls.takeRequest(5, TimeUnit.SECONDS);
    assertThat(secure.getUrl().scheme()).isEqualTo("https");
    assertNoTokenHeader(secure);
  }

  @Test
  void httpsToHttpsRedirectOnTheSameHostKeepsTheToken() throws Exception {
    OkHttpClient client = client("X-Serverless-Authorization");
    tls.enqueue(redirect(302, "/next"));
    tls.enqueue(status(200));

    assertThat(get(client, tlsUrl("/start"))).isEqualTo("200 status 200");

    for (String path : new String[] {"/start", "/next"}) {
      RecordedRequest r = tls.takeRequest(5, TimeUnit.SECONDS);
      assertThat(r.getUrl().encodedPath()).isEqualTo(path);
      assertThat(audienceOf(r.getHeaders().get("X-Serverless-Authorization"))).isEqualTo(AUDIENCE);
    }
  }
}
