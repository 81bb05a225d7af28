package dev.privateegress.samples.internalapi;

import dev.privateegress.samples.support.PublicAnswer;
import dev.privateegress.samples.support.Untrusted;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;

/**
 * {@code GET /}: one call to the private API. A success is streamed back as it comes (status, content type,
 * body; never held in memory whole); an error status is {@link PublicAnswer#upstreamError mapped} and
 * answered with a short reason and a request id, the upstream's body staying inside; the detail is logged
 * under that id.
 */
@RestController
class InternalApiController {
  static final String URL_VARIABLE = "INTERNAL_API_URL";
  static final String DEFAULT_URL = "http://my.api.private/";
  private static final Logger LOG = LoggerFactory.getLogger(InternalApiController.class);
  private static final MediaType TEXT = new MediaType("text", "plain", StandardCharsets.UTF_8);

  private final RestClient api;
  private final URI target;

  /** The builder is Spring Boot's, customized by the starter to send through the SDK's OkHttpClient. */
  InternalApiController(RestClient.Builder builder, Environment env) {
    this.target = target(env.getProperty(URL_VARIABLE, DEFAULT_URL));
    this.api = builder.build();
  }

  static URI target(String raw) {
    URI uri;
    try {
      uri = URI.create(raw.strip());
    } catch (IllegalArgumentException e) {
      uri = null;
    }
    if (uri == null || uri.getHost() == null
        || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
      throw new IllegalStateException(URL_VARIABLE + " must be an http:// or https:// URL such as " + DEFAULT_URL
          + ", was '" + raw + "'; set it to the internal load balancer's URL");
    }
    return uri;
  }

  @GetMapping("/")
  void call(HttpServletResponse out) {
    // exchange(): 4xx and 5xx are answers to map, not exceptions.
    api.get().uri(target).exchange((request, response) -> {
      int status = response.getStatusCode().value();
      HttpHeaders headers = response.getHeaders();
      if (status < 200 || status > 299) {
        PublicAnswer.Mapped mapped = PublicAnswer.upstreamError("internal API", status);
        String id = PublicAnswer.newRequestId();
        LOG.warn("request {}: GET {} answered {} (Content-Type {}, Content-Length {}); answered {}", id, shown(target),
            status, Untrusted.shown(headers.getFirst(HttpHeaders.CONTENT_TYPE)), headers.getContentLength(),
            mapped.status());
        write(out, mapped.status(), PublicAnswer.text(mapped.reason(), id));
        return null;
      }
      out.setStatus(status);
      MediaType type = contentType(headers);
      if (type != null) {
        out.setContentType(type.toString());
      }
      if (headers.getContentLength() >= 0) {
        out.setContentLengthLong(headers.getContentLength());
      }
      try (InputStream in = response.getBody(); OutputStream body = out.getOutputStream()) {
        in.transferTo(body);
      } catch (IOException e) {
        // The status is sent: the caller can only see the answer end short, as the connection closes.
        LOG.warn("GET {}: the answer broke off while relayed", shown(target), e);
        throw new UncheckedIOException(e);
      }
      return null;
    });
  }

  @ExceptionHandler(ResourceAccessException.class)
  ResponseEntity<String> unreachable(ResourceAccessException e) {
    String id = PublicAnswer.newRequestId();
    LOG.warn("request {}: GET {} failed", id, shown(target), e);
    return ResponseEntity.status(HttpStatus.BAD_GATEWAY).contentType(TEXT)
        .body(PublicAnswer.text("internal API unreachable", id));
  }

  /** The upstream's content type, or none when it is not one. */
  private static MediaType contentType(HttpHeaders headers) {
    try {
      return headers.getContentType();
    } catch (InvalidMediaTypeException e) {
      return null;
    }
  }

  private static void write(HttpServletResponse out, int status, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    out.setStatus(status);
    out.setContentType(TEXT.toString());
    out.setContentLength(bytes.length);
    out.getOutputStream().write(bytes);
  }

  /** The URL without user info and query, which may carry secrets. */
  static String shown(URI uri) {
    return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
        + (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath());
  }
}
