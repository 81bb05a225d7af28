package dev.privateegress.samples.internalapi;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;

/** {@code GET /}: one call to the private API; its status and body come back unchanged. */
@RestController
class InternalApiController {
  static final String URL_VARIABLE = "INTERNAL_API_URL";
  static final String DEFAULT_URL = "http://my.api.private/";
  private static final Logger LOG = LoggerFactory.getLogger(InternalApiController.class);

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
  ResponseEntity<byte[]> call() {
    // exchange(): 4xx and 5xx are answers to relay, not exceptions.
    return api.get().uri(target).exchange((request, response) -> {
      ResponseEntity.BodyBuilder out = ResponseEntity.status(response.getStatusCode());
      MediaType type = response.getHeaders().getContentType();
      if (type != null) {
        out.contentType(type);
      }
      return out.body(response.getBody().readAllBytes());
    });
  }

  @ExceptionHandler(ResourceAccessException.class)
  ResponseEntity<byte[]> unreachable(ResourceAccessException e) {
    LOG.warn("GET {} failed", shown(target), e);
    Throwable cause = e.getCause() != null ? e.getCause() : e;
    String m = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    String line = "internal API " + shown(target) + " unreachable: " + m.replaceAll("\\s+", " ").strip() + "\n";
    return ResponseEntity.status(HttpStatus.BAD_GATEWAY).contentType(new MediaType("text", "plain", StandardCharsets.UTF_8))
        .body(line.getBytes(StandardCharsets.UTF_8));
  }

  /** The URL without user info and query, which may carry secrets. */
  static String shown(URI uri) {
    return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
        + (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath());
  }
}
