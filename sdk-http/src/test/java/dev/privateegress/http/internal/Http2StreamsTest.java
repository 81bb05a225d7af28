package dev.privateegress.http.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.SocketEffect;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import org.junit.jupiter.api.Test;

/**
 * {@link Http2Streams} reads OkHttp's internals: this fails when an OkHttp upgrade moves them, instead of the
 * SDK silently treating GOAWAY races as "may have been processed" again.
 */
class Http2StreamsTest {
  @Test
  void readsTheRefusedStreamOfAFailedExchange() throws Exception {
    try (MockWebServer server = new MockWebServer()) {
      server.setProtocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE));
      server.start();
      server.enqueue(new MockResponse.Builder().onRequestStart(new SocketEffect.CloseStream(7)).build());
      server.enqueue(new MockResponse.Builder().onRequestStart(new SocketEffect.CloseStream(8)).build());
      AtomicReference<Boolean> refused = new AtomicReference<>();
      OkHttpClient client = new OkHttpClient.Builder()
          .protocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE))
          .retryOnConnectionFailure(false)
          .addNetworkInterceptor(chain -> {
            try {
              return chain.proceed(chain.request());
            } catch (IOException e) {
              refused.set(Http2Streams.refused(chain));
              throw e;
            }
          })
          .build();
      Request get = new Request.Builder().url(server.url("/")).build();
      assertThrows(IOException.class, () -> client.newCall(get).execute().close());
      assertThat(refused.get()).as("REFUSED_STREAM (7) read from the stream").isTrue();
      assertThrows(IOException.class, () -> client.newCall(get).execute().close());
      assertThat(refused.get()).as("CANCEL (8) is not a refusal").isFalse();
    }
  }
}
