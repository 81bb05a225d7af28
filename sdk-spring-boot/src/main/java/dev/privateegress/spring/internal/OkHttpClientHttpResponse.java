package dev.privateegress.spring.internal;

import java.io.IOException;
import java.io.InputStream;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.ClientHttpResponse;

/** An OkHttp {@link Response} as Spring's {@link ClientHttpResponse}; the body is read from the connection. */
public final class OkHttpClientHttpResponse implements ClientHttpResponse {
  private final Response response;
  private HttpHeaders headers;

  public OkHttpClientHttpResponse(Response response) {
    this.response = response;
  }

  @Override
  public HttpStatusCode getStatusCode() {
    return HttpStatusCode.valueOf(response.code());
  }

  @Override
  public String getStatusText() {
    return response.message();
  }

  @Override
  public InputStream getBody() throws IOException {
    ResponseBody body = response.body();
    return body.byteStream();
  }

  @Override
  public HttpHeaders getHeaders() {
    HttpHeaders h = headers;
    if (h == null) {
      h = new HttpHeaders();
      okhttp3.Headers raw = response.headers();
      for (int i = 0; i < raw.size(); i++) {
        h.add(raw.name(i), raw.value(i));
      }
      headers = h;
    }
    return h;
  }

  @Override
  public void close() {
    response.close();
  }
}
