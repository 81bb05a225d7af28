package dev.privateegress.spring.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.Locale;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okio.BufferedSink;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.StreamingHttpOutputMessage;
import org.springframework.http.client.AbstractStreamingClientHttpRequest;
import org.springframework.http.client.ClientHttpResponse;

/** One request of {@code OkHttpClientHttpRequestFactory}: the body is written to the socket as it is produced. */
public final class OkHttpClientHttpRequest extends AbstractStreamingClientHttpRequest {
  private static final byte[] EMPTY = new byte[0];

  private final OkHttpClient client;
  private final URI uri;
  private final HttpMethod method;

  public OkHttpClientHttpRequest(OkHttpClient client, URI uri, HttpMethod method) {
    this.client = client;
    this.uri = uri;
    this.method = method;
  }

  @Override
  public HttpMethod getMethod() {
    return method;
  }

  @Override
  public URI getURI() {
    return uri;
  }

  @Override
  protected ClientHttpResponse executeInternal(HttpHeaders headers, StreamingHttpOutputMessage.Body body)
      throws IOException {
    String contentType = headers.getFirst(HttpHeaders.CONTENT_TYPE);
    MediaType mediaType = contentType == null ? null : MediaType.parse(contentType);
    RequestBody requestBody;
    if (body != null) {
      requestBody = new StreamingBody(mediaType, headers.getContentLength(), body);
    } else if (requiresBody(method.name())) {
      requestBody = RequestBody.create(EMPTY, mediaType);
    } else {
      requestBody = null;
    }
    Request.Builder request = new Request.Builder().url(uri.toURL()).method(method.name(), requestBody);
    headers.forEach((name, values) -> {
      // OkHttp frames the body itself from RequestBody.contentLength().
      if (!name.equalsIgnoreCase(HttpHeaders.CONTENT_LENGTH) && !name.equalsIgnoreCase(HttpHeaders.TRANSFER_ENCODING)) {
        for (String value : values) {
          request.addHeader(name, value);
        }
      }
    });
    return new OkHttpClientHttpResponse(client.newCall(request.build()).execute());
  }

  private static boolean requiresBody(String method) {
    return switch (method.toUpperCase(Locale.ROOT)) {
      case "POST", "PUT", "PATCH", "PROPPATCH", "REPORT" -> true;
      default -> false;
    };
  }

  /** Writes Spring's body straight to OkHttp's sink; one-shot unless Spring says it can be written again. */
  private static final class StreamingBody extends RequestBody {
    private final MediaType contentType;
    private final long contentLength;
    private final StreamingHttpOutputMessage.Body body;

    StreamingBody(MediaType contentType, long contentLength, StreamingHttpOutputMessage.Body body) {
      this.contentType = contentType;
      this.contentLength = contentLength;
      this.body = body;
    }

    @Override
    public MediaType contentType() {
      return contentType;
    }

    @Override
    public long contentLength() {
      return contentLength;
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
      OutputStream out = sink.outputStream();
      // Spring's writers may close the stream; the sink must stay open for OkHttp.
      body.writeTo(new java.io.FilterOutputStream(out) {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
          out.flush();
        }
      });
    }

    @Override
    public boolean isOneShot() {
      return !body.repeatable();
    }
  }
}
