package dev.privateegress.samples.relay;

import dev.privateegress.samples.support.PublicAnswer;
import dev.privateegress.samples.support.Untrusted;
import jakarta.servlet.http.HttpServletRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /}: verify, read, recognise, forward; the status tells Pub/Sub whether to redeliver.
 *
 * <p>The token is checked from the headers before a byte of the body is read, so an anonymous caller costs
 * no memory; a body is read only up to {@link RelaySettings#maxBodyBytes()}. Every refusal answers a fixed
 * reason and a request id; what the caller sent goes to the log under that id, escaped and bounded.
 */
@RestController
class RelayController {
  private static final Logger LOG = LoggerFactory.getLogger(RelayController.class);
  private static final org.springframework.http.MediaType TEXT =
      new org.springframework.http.MediaType("text", "plain", java.nio.charset.StandardCharsets.UTF_8);

  private final OkHttpClient http;
  private final RelaySettings settings;
  private final PushTokenVerifier verifier;

  RelayController(OkHttpClient http, RelaySettings settings) {
    this.http = http;
    this.settings = settings;
    this.verifier = settings.open() ? null : new PushTokenVerifier(settings.pushAudience(),
        settings.pushServiceAccount(), settings.certificatesLocation(), Clock.systemUTC());
  }

  /** The body could not be read: too large, too slow, or cut off. */
  static final class Unreadable extends Exception {
    private static final long serialVersionUID = 1L;
    final HttpStatus status;

    Unreadable(HttpStatus status, String reason) {
      super(reason);
      this.status = status;
    }
  }

  @PostMapping("/")
  ResponseEntity<String> relay(@RequestHeader HttpHeaders headers, HttpServletRequest request) {
    if (verifier != null) {
      try {
        verifier.verify(headers.getFirst(HttpHeaders.AUTHORIZATION));
      } catch (PushTokenVerifier.Rejected e) {
        return refuse(HttpStatus.valueOf(e.status), e.getMessage(), e.detail);
      }
    }
    byte[] content;
    try {
      content = readBody(request, settings.maxBodyBytes());
    } catch (Unreadable e) {
      return refuse(e.status, e.getMessage(), "Content-Length " + request.getContentLengthLong());
    }
    Map<String, List<String>> all = new LinkedHashMap<>();
    headers.forEach(all::put);
    Delivery delivery;
    try {
      delivery = Delivery.parse(all, content);
    } catch (Delivery.Malformed e) {
      return refuse(HttpStatus.BAD_REQUEST, e.getMessage(), e.detail);
    }
    String type = delivery.kind().equals("pubsub") ? "application/json" : headers.getFirst(HttpHeaders.CONTENT_TYPE);
    Request.Builder forward = new Request.Builder().url(settings.target())
        .post(RequestBody.create(content, type == null ? null : MediaType.parse(type)));
    try {
      // The receiver de-duplicates on it, which also lets the SDK retry this POST.
      forward.header("Idempotency-Key", delivery.id());
      delivery.ceHeaders().forEach(forward::header);
    } catch (IllegalArgumentException e) {
      // OkHttp refuses what HTTP/1.1 cannot carry; CloudEvents percent-encode such characters.
      return refuse(HttpStatus.BAD_REQUEST, "ce-* header with characters that cannot be forwarded "
          + "(CloudEvents header values must be percent-encoded)", "ce-* headers " + Untrusted.shown(delivery.ceHeaders(), 600));
    }
    try (Response r = http.newCall(forward.build()).execute()) {
      if (r.isSuccessful()) {
        return ResponseEntity.noContent().build();
      }
      String id = PublicAnswer.newRequestId();
      LOG.warn("request {}: {} {} not delivered: {} answered {}", id, delivery.kind(), delivery.id(),
          settings.target().host(), r.code());
      return text(HttpStatus.SERVICE_UNAVAILABLE, "not delivered: the target answered " + r.code()
          + "; Pub/Sub will redeliver", id);
    } catch (IOException e) {
      String id = PublicAnswer.newRequestId();
      LOG.warn("request {}: {} {} not delivered to {}", id, delivery.kind(), delivery.id(), settings.target().host(), e);
      return text(HttpStatus.SERVICE_UNAVAILABLE, "not delivered: the target is unreachable; Pub/Sub will redeliver", id);
    }
  }

  /**
   * The body, at most {@code max} bytes: a larger {@code Content-Length} is refused before reading, a body
   * without one is refused as soon as it passes the limit. A body that stops arriving ends with the server's
   * read timeout ({@code server.tomcat.connection-timeout}) and Tomcat's 408.
   */
  static byte[] readBody(HttpServletRequest request, long max) throws Unreadable {
    long declared = request.getContentLengthLong();
    if (declared > max) {
      throw new Unreadable(HttpStatus.CONTENT_TOO_LARGE, "body larger than " + max + " bytes");
    }
    try (InputStream in = request.getInputStream()) {
      if (declared >= 0) {
        byte[] body = in.readNBytes((int) declared);
        if (body.length < declared) {
          throw new Unreadable(HttpStatus.BAD_REQUEST, "body shorter than its Content-Length");
        }
        return body;
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[16 * 1024];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        if (out.size() + n > max) {
          throw new Unreadable(HttpStatus.CONTENT_TOO_LARGE, "body larger than " + max + " bytes");
        }
        out.write(buffer, 0, n);
      }
      return out.toByteArray();
    } catch (IOException e) {
      // A read timeout or a cut connection; Tomcat answers a read timeout with its own 408 whatever is returned.
      throw new Unreadable(HttpStatus.REQUEST_TIMEOUT, "body not received in full");
    }
  }

  private static ResponseEntity<String> refuse(HttpStatus status, String reason, String detail) {
    String id = PublicAnswer.newRequestId();
    LOG.warn("request {}: refused ({} {}): {}", id, status.value(), reason, detail);
    return text(status, reason, id);
  }

  private static ResponseEntity<String> text(HttpStatus status, String reason, String requestId) {
    ResponseEntity.BodyBuilder b = ResponseEntity.status(status).contentType(TEXT);
    if (status.value() == 401) {
      b.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
    }
    return b.body(PublicAnswer.text(reason, requestId));
  }
}
