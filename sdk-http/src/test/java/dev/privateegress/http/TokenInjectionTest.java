package dev.privateegress.http;

import static dev.privateegress.http.Fixtures.audienceOf;
import static dev.privateegress.http.Fixtures.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.EgressConfig;
import dev.privateegress.PrivateEgress;
import dev.privateegress.TokenOptions;
import dev.privateegress.testing.FakeMetadataServer;
import dev.privateegress.testing.MutableClock;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenInjectionTest {
  private static final String AUDIENCE = "https://my-api.example.com";
  private final MutableClock clock = MutableClock.start();
  private FakeMetadataServer md;
  private MockWebServer api;
  private MockWebServer other;

  @BeforeEach
  void start() throws IOException {
    md = FakeMetadataServer.start(clock);
    api = Fixtures.server();
    other = Fixtures.server();
  }

  @AfterEach
  void stop() {
    api.close();
    other.close();
    md.close();
  }

  private PrivateEgress egress(String tokenHeader, String audiences) {
    return egress(tokenHeader, audiences, dev.privateegress.EgressListener.NONE);
  }

  private PrivateEgress egress(String tokenHeader, String audiences, dev.privateegress.EgressListener listener) {
    Map<String, String> env = new HashMap<>();
    env.put("GCE_METADATA_HOST", md.hostPort());
    env.put("K_SERVICE", "caller");
    env.put("K_REVISION", "caller-00001");
    env.put("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1,other.private=127.0.0.1,second.private=127.0.0.1");
    env.put("PRIVATE_EGRESS_AUDIENCES", audiences);
    env.put("PRIVATE_EGRESS_TOKEN_HEADER", tokenHeader);
    return PrivateEgress.builder().environment(env).clock(clock).retryPolicy(Fixtures.FAST).listener(listener)
        .build();
  }

  private PrivateEgress egress(String tokenHeader) {
    return egress(tokenHeader, "my.api.private=" + AUDIENCE);
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

  @Test
  void tokenReachesTheMappedPrivateNameWithItsAudience() throws Exception {
    OkHttpClient client = PrivateHttp.newClient(egress("Authorization"));
    api.enqueue(status(200));
    assertThat(get(client, "http://my.api.private:" + api.getPort() + "/hello")).isEqualTo("200 status 200");
    RecordedRequest seen = api.takeRequest(5, TimeUnit.SECONDS);
    assertThat(seen.getUrl().host()).isEqualTo("my.api.private");
    assertThat(seen.getHeaders().get("Authorization")).startsWith("Bearer ey");
    assertThat(audienceOf(seen.getHeaders().get("Authorization"))).isEqualTo(AUDIENCE);
    assertThat(md.identityRequests(AUDIENCE)).isEqualTo(1);
  }

  @Test
  void hostOutsideTheMapNeverGetsAToken() throws Exception {
    OkHttpClient client = PrivateHttp.newClient(egress("Authorization"));
    other.enqueue(status(200));
    get(client, "http://other.private:" + other.getPort() + "/");
    other.enqueue(status(200));
    get(client, "http://127.0.0.1:" + other.getPort() + "/");
    assertNoTokenHeader(other.takeRequest(5, TimeUnit.SECONDS));
    assertNoTokenHeader(other.takeRequest(5, TimeUnit.SECONDS));
    assertThat(md.identityRequests()).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"Authorization", "X-Serverless-Authorization", "Proxy-Authorization"})
  void redirectToAnotherHostCarriesNoToken(String header) throws Exception {
    OkHttpClient client = PrivateHttp.newClient(egress(header));
    api.enqueue(new MockResponse.Builder().code(302)
        .setHeader("Location", "http://other.private:" + other.getPort() + "/landing").build());
    other.enqueue(new MockResponse.Builder().code(302)
        .setHeader("Location", "http://127.0.0.1:" + other.getPort() + "/by-ip").build());
    other.enqueue(status(200));
    assertThat(get(client, "http://my.api.private:" + api.getPort() + "/start")).isEqualTo("200 status 200");

    RecordedRequest first = api.takeRequest(5, TimeUnit.SECONDS);
    assertThat(audienceOf(first.getHeaders().get(header))).isEqualTo(AUDIENCE);
    RecordedRequest landing = other.takeRequest(5, TimeUnit.SECONDS);
    assertThat(landing.getUrl().encodedPath()).isEqualTo("/landing");
    assertNoTokenHeader(landing);
    RecordedRequest byIp = other.takeRequest(5, TimeUnit.SECONDS);
    assertThat(byIp.getUrl().encodedPath()).isEqualTo("/by-ip");
    assertNoTokenHeader(byIp);
  }

  @ParameterizedTest
  @ValueSource(strings = {"Authorization", "X-Serverless-Authorization", "Proxy-Authorization"})
  void tokenStaysOffAnotherHostEvenWhenOkHttpFollowsRedirectsItself(String header) throws Exception {
    // Someone re-enables OkHttp's own redirect following after configuring: the network guard still strips.
    OkHttpClient client = PrivateHttp.newClient(egress(header)).newBuilder().followRedirects(true).build();
    api.enqueue(new MockResponse.Builder().code(307)
        .setHeader("Location", "http://other.private:" + other.getPort() + "/landing").build());
    other.enqueue(status(200));
    get(client, "http://my.api.private:" + api.getPort() + "/start");
    assertThat(api.takeRequest(5, TimeUnit.SECONDS).getHeaders().get(header)).startsWith("Bearer ");
    assertNoTokenHeader(other.takeRequest(5, TimeUnit.SECONDS));
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void redirectToAnotherPortOfTheSameHostCarriesNoToken(boolean okHttpFollows) throws Exception {
    // Another port is another origin (another service): the token stays behind, whoever follows the redirect.
    OkHttpClient client = PrivateHttp.newClient(egress("Authorization"));
    if (okHttpFollows) {
      client = client.newBuilder().followRedirects(true).build();
    }
    api.enqueue(new MockResponse.Builder().code(302)
        .setHeader("Location", "http://my.api.private:" + other.getPort() + "/landing").build());
    other.enqueue(new MockResponse.Builder().code(302)
        .setHeader("Location", "http://my.api.private:" + api.getPort() + "/back").build());
    api.enqueue(status(200));
    assertThat(get(client, "http://my.api.private:" + api.getPort() + "/start")).isEqualTo("200 status 200");

    assertThat(audienceOf(api.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("Authorization")))
        .isEqualTo(AUDIENCE);
    RecordedRequest landing = other.takeRequest(5, TimeUnit.SECONDS);
    assertThat(landing.getUrl().encodedPath()).isEqualTo("/landing");
    assertNoTokenHeader(landing);
    RecordedRequest back = api.takeRequest(5, TimeUnit.SECONDS);
    assertThat(back.getUrl().encodedPath()).isEqualTo("/back");
    if (!okHttpFollows) {
      // back at the origin the call was made to: its token again
      assertThat(audienceOf(back.getHeaders().get("Authorization"))).isEqualTo(AUDIENCE);
    }
  }

  @Test
  void anIpv6LiteralHostMappedInBracketsGetsItsToken() throws Exception {
    try (MockWebServer v6 = new MockWebServer()) {
      v6.start(java.net.InetAddress.getByName("::1"), 0);
      v6.enqueue(status(200));
      OkHttpClient client = PrivateHttp.newClient(egress("Authorization", "[::1]=" + AUDIENCE));
      assertThat(get(client, "http://[::1]:" + v6.getPort() + "/v6")).isEqualTo("200 status 200");
      assertThat(audienceOf(v6.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("Authorization")))
          .isEqualTo(AUDIENCE);
    }
  }

  @Test
  void redirectToAnotherMappedHostGetsOnlyItsOwnAudience() throws Exception {
    OkHttpClient client = PrivateHttp.newClient(egress("Authorization",
        "my.api.private=" + AUDIENCE + ",second.private=https://second.example.com"));
    api.enqueue(new MockResponse.Builder().code(301)
        .setHeader("Location", "http://second.private:" + other.getPort() + "/moved").build());
    other.enqueue(status(200));
    get(client, "http://my.api.private:" + api.getPort() + "/start");
    api.takeRequest(5, TimeUnit.SECONDS);
    RecordedRequest moved = other.takeRequest(5, TimeUnit.SECONDS);
    assertThat(audienceOf(moved.getHeaders().get("Authorization"))).isEqualTo("https://second.example.com");
  }

  @Test
  void redirectsAreNotFollowedWhenTheBuilderSaidSo() throws Exception {
    OkHttpClient client = PrivateHttp.configure(egress("Authorization"),
        new OkHttpClient.Builder().followRedirects(false)).build();
    api.enqueue(new MockResponse.Builder().code(302).setHeader("Location", "/elsewhere").build());
    assertThat(get(client, "http://my.api.private:" + api.getPort() + "/")).startsWith("302");
    assertThat(api.getRequestCount()).isEqualTo(1);
  }

  @Test
  void postRedirectedWith303BecomesGetAnd307KeepsTheBody() throws Exception {
    OkHttpClient client = PrivateHttp.newClient(egress("Authorization"));
    api.enqueue(new MockResponse.Builder().code(303).setHeader("Location", "/see-other").build());
    api.enqueue(status(200));
    api.enqueue(new MockResponse.Builder().code(307).setHeader("Location", "/temporary").build());
    api.enqueue(status(200));
    String base = "http://my.api.private:" + api.getPort();
    for (String path : new String[] {"/a", "/b"}) {
      try (Response r = client.newCall(new Request.Builder().url(base + path)
          .post(RequestBody.create("payload", null)).build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
      }
    }
    assertThat(api.takeRequest(5, TimeUnit.SECONDS).getMethod()).isEqualTo("POST");
    RecordedRequest seeOther = api.takeRequest(5, TimeUnit.SECONDS);
    assertThat(seeOther.getMethod()).isEqualTo("GET");
    assertThat(seeOther.getHeaders().get("Authorization")).startsWith("Bearer ");
    assertThat(api.takeRequest(5, TimeUnit.SECONDS).getMethod()).isEqualTo("POST");
    RecordedRequest temporary = api.takeRequest(5, TimeUnit.SECONDS);
    assertThat(temporary.getMethod()).isEqualTo("POST");
    assertThat(temporary.getBody().utf8()).isEqualTo("payload");
  }

  @Test
  void a401ForcesOneRefreshAndOneRetry() throws Exception {
    OkHttpClient client = PrivateHttp.newClient(egress("Authorization"));
    api.enqueue(status(401));
    api.enqueue(status(200));
    assertThat(get(client, "http://my.api.private:" + api.getPort() + "/")).startsWith("200");
    String rejected = api.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("Authorization");
    String fresh = api.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("Authorization");
    assertThat(fresh).isNotEqualTo(rejected);
    assertThat(md.identityRequests(AUDIENCE)).isEqualTo(2);

    clock.advance(TokenOptions.defaults().staleRetryInterval());
    api.enqueue(status(401));
    api.enqueue(status(401));
    api.enqueue(status(200));
    assertThat(get(client, "http://my.api.private:" + api.getPort() + "/")).startsWith("401");
    assertThat(api.getRequestCount()).isEqualTo(4); // one refresh, one retry, then the 401 is the answer
    assertThat(md.identityRequests(AUDIENCE)).isEqualTo(3);
  }

  @Test
  void persistent401DoesNotHammerTheMetadataServer() throws Exception {
    OkHttpClient client = PrivateHttp.newClient(egress("Authorization"));
    for (int i = 0; i < 200; i++) {
      api.enqueue(status(401));
    }
    for (int i = 0; i < 100; i++) {
      assertThat(get(client, "http://my.api.private:" + api.getPort() + "/")).startsWith("401");
    }
    // First call: initial token, one refresh, one retry; the other 99 get their 401 with the same token.
    assertThat(md.identityRequests(AUDIENCE)).isEqualTo(2);
    assertThat(api.getRequestCount()).isEqualTo(101);
  }

  @Test
  void a401WhileMetadataIsDownReturnsThe401AndKeepsTheToken() throws Exception {
    OkHttpClient client = PrivateHttp.newClient(egress("Authorization"));
    api.enqueue(status(200));
    get(client, "http://my.api.private:" + api.getPort() + "/");
    md.failNext(1_000, 503);
    api.enqueue(status(401));
    assertThat(get(client, "http://my.api.private:" + api.getPort() + "/")).startsWith("401");
    api.enqueue(status(200));
    assertThat(get(client, "http://my.api.private:" + api.getPort() + "/")).startsWith("200");
    assertThat(api.getRequestCount()).isEqualTo(3); // no retry with the same token
    assertThat(md.identityRequests(AUDIENCE)).isEqualTo(2); // initial + one failed forced attempt
    String first = api.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("Authorization");
    api.takeRequest(5, TimeUnit.SECONDS);
    assertThat(api.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("Authorization")).isEqualTo(first);
  }

  @Test
  void tokenFailureIsAnIoExceptionThatExplainsAndSendsNothing() {
    OkHttpClient client = PrivateHttp.newClient(egress("Authorization"));
    md.failNext(100, 500, "instance/service-accounts/default/identity");
    assertThatThrownBy(() -> get(client, "http://my.api.private:" + api.getPort() + "/"))
        .isInstanceOf(TokenUnavailableException.class)
        .hasMessageContaining("my.api.private")
        .hasMessageContaining(AUDIENCE)
        .hasMessageContaining("PRIVATE_EGRESS_AUDIENCES")
        .hasMessageNotContaining("Bearer");
    assertThat(api.getRequestCount()).isZero();
  }

  @Test
  void aRetryWhoseTokenCannotBeHadEndsTheCallAsTokenUnavailableAndSendsNothingMore() {
    Fixtures.Recorder events = new Fixtures.Recorder();
    OkHttpClient client = PrivateHttp.newClient(egress("Authorization", "my.api.private=" + AUDIENCE, events));
    api.setDispatcher(new mockwebserver3.Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        // the token expires while the first attempt is answered, and no new one can be had for the retry
        clock.advance(java.time.Duration.ofHours(2));
        md.failNext(1_000, 500, "instance/service-accounts/default/identity");
        return status(503);
      }
    });
    assertThatThrownBy(() -> get(client, "http://my.api.private:" + api.getPort() + "/"))
        .isInstanceOf(TokenUnavailableException.class)
        .hasMessageContaining(AUDIENCE)
        .hasMessageContaining("request not sent");
    assertThat(api.getRequestCount()).isEqualTo(1);
    assertThat(events.retries).as("the retry after the 503, and none for the missing token").hasSize(1);
  }

  @Test
  void runAppHostsGetTheirUrlAsAudienceWithoutConfiguration() {
    PrivateEgress e = egress("Authorization");
    assertThat(e.config().audienceFor("svc-abc123-uc.a.run.app")).contains("https://svc-abc123-uc.a.run.app");
  }
}
