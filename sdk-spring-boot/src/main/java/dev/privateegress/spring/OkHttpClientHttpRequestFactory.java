package dev.privateegress.spring;

import dev.privateegress.spring.internal.OkHttpClientHttpRequest;
import java.net.URI;
import java.util.Objects;
import okhttp3.OkHttpClient;
import org.springframework.http.HttpMethod;
import org.springframework.http.client.ClientHttpRequest;
import org.springframework.http.client.ClientHttpRequestFactory;

/**
 * A {@link ClientHttpRequestFactory} that sends through an {@link OkHttpClient}, so a {@code RestClient} or
 * {@code RestTemplate} gets what the client does: with a client from {@code PrivateHttp}, DNS overrides, ID
 * tokens for mapped hosts and safe, budgeted retries. Request bodies are streamed to the connection as the
 * application writes them (a body Spring marks repeatable can be re-sent on retry; any other is sent at most
 * once); response bodies are streamed from the connection. Nothing is buffered whole.
 *
 * <p>Spring Framework 7 no longer ships an OkHttp request factory; this one takes its place. The client is
 * shared, not owned: closing the factory's requests never shuts the client down.
 */
public final class OkHttpClientHttpRequestFactory implements ClientHttpRequestFactory {
  private final OkHttpClient client;

  /**
   * A factory over {@code client}.
   *
   * @param client e.g. the auto-configured {@code OkHttpClient} bean or {@code PrivateHttp.newClient(egress)}
   */
  public OkHttpClientHttpRequestFactory(OkHttpClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** The client requests are sent through. */
  public OkHttpClient client() {
    return client;
  }

  @Override
  public ClientHttpRequest createRequest(URI uri, HttpMethod httpMethod) {
    return new OkHttpClientHttpRequest(client, uri, httpMethod);
  }

  @Override
  public String toString() {
    return "OkHttpClientHttpRequestFactory";
  }
}
