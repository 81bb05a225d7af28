package dev.privateegress.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.PrivateEgress;
import dev.privateegress.http.PrivateHttp;
import dev.privateegress.testing.NoDelayServerSocketFactory;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.StreamingHttpOutputMessage;
import org.springframework.web.client.HttpServerErrorException;
import org.springframework.web.client.RestClient;

/** RestClient over the SDK's OkHttpClient: streamed bodies, and retries only where the body can be re-sent. */
class OkHttpClientHttpRequestFactoryTest {
  private MockWebServer api;
  private OkHttpClient client;
  private RestClient rest;

  @BeforeEach
  void start() throws Exception {
    api = new MockWebServer();
    api.setServerSocketFactory(new NoDelayServerSocketFactory());
    api.start();
    PrivateEgress egress = PrivateEgress.builder().environment(Map.of("NO_GCE_CHECK", "true"))
        .host("my.api.private", "127.0.0.1").retryPolicy(PrivateEgressAutoConfigurationTest.FAST).build();
    client = PrivateHttp.newClient(egress);
    rest = RestClient.builder().requestFactory(new OkHttpClientHttpRequestFactory(client)).build();
  }

  @AfterEach
  void stop() {
    api.close();
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
  }

  private String url(String path) {
    return "http://my.api.private:" + api.getPort() + path;
  }

  @Test
  void aStreamedUploadGoesOutChunkedNotBufferedToComputeALength() throws Exception {
    api.enqueue(new MockResponse.Builder().code(201).build());
    byte[] chunk = new byte[64 * 1024];
    int chunks = 128; // 8 MiB
    StreamingHttpOutputMessage.Body body = out -> {
      for (int i = 0; i < chunks; i++) {
        out.write(chunk);
      }
    };
    var status = rest.post().uri(url("/upload")).contentType(MediaType.APPLICATION_OCTET_STREAM)
        .body(body).retrieve().toBodilessEntity().getStatusCode();
    assertThat(status).isEqualTo(HttpStatus.CREATED);
    RecordedRequest seen = api.takeRequest(5, TimeUnit.SECONDS);
    assertThat(seen.getHeaders().get("Transfer-Encoding")).isEqualTo("chunked");
    assertThat(seen.getHeaders().get("Content-Length")).isNull();
    assertThat(seen.getBodySize()).isEqualTo((long) chunk.length * chunks);
    assertThat(seen.getHeaders().get("Content-Type")).isEqualTo("application/octet-stream");
  }

  @Test
  void aResponseBodyIsReadFromTheConnection() throws Exception {
    byte[] big = new byte[4 * 1024 * 1024];
    api.enqueue(new MockResponse.Builder().body(new okio.Buffer().write(big)).build());
    long read = rest.get().uri(url("/big")).exchange((request, response) -> {
      long n = 0;
      try (InputStream in = response.getBody()) {
        byte[] buf = new byte[8192];
        for (int r; (r = in.read(buf)) != -1; ) {
          n += r;
        }
      }
      return n;
    });
    assertThat(read).isEqualTo(big.length);
  }

  @Test
  void aPutWithARepeatableBodyIsRetriedWithTheWholeBody() throws Exception {
    api.enqueue(new MockResponse.Builder().code(503).build());
    api.enqueue(new MockResponse.Builder().body("stored").build());
    String answer = rest.put().uri(url("/items/1")).contentType(MediaType.TEXT_PLAIN).body("payload")
        .retrieve().body(String.class);
    assertThat(answer).isEqualTo("stored");
    assertThat(api.getRequestCount()).isEqualTo(2);
    for (int i = 0; i < 2; i++) {
      RecordedRequest r = api.takeRequest(5, TimeUnit.SECONDS);
      assertThat(r.getBody().utf8()).isEqualTo("payload");
      assertThat(r.getHeaders().get("Content-Length")).isEqualTo("7");
    }
  }

  @Test
  void aPostIsNotResentAfterItReachedTheServer() {
    api.enqueue(new MockResponse.Builder().code(503).build());
    api.enqueue(new MockResponse.Builder().body("second").build());
    assertThatThrownBy(() -> rest.post().uri(url("/orders")).contentType(MediaType.TEXT_PLAIN).body("order-1")
        .retrieve().body(String.class))
        .isInstanceOf(HttpServerErrorException.class)
        .hasMessageContaining("503");
    assertThat(api.getRequestCount()).isEqualTo(1);
  }

  @Test
  void headersGoBothWays() throws Exception {
    api.enqueue(new MockResponse.Builder().addHeader("X-Reply", "a").addHeader("X-Reply", "b").body("ok").build());
    var entity = rest.get().uri(url("/h")).header("X-Trace", "t1").header("Accept", "text/plain")
        .retrieve().toEntity(String.class);
    assertThat(entity.getHeaders().get("X-Reply")).containsExactly("a", "b");
    RecordedRequest r = api.takeRequest(5, TimeUnit.SECONDS);
    assertThat(r.getHeaders().get("X-Trace")).isEqualTo("t1");
    assertThat(r.getBody()).as("a GET sends no body").isNull();
  }
}
