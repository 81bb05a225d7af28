package dev.privateegress.samples.relay;

import java.io.IOException;
import java.util.LinkedHashMap;
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

/** {@code POST /}: verify, recognise, forward; the status tells Pub/Sub whether to redeliver. */
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
    this.verifier = settings.pushAudience() == null ? null
        : new PushTokenVerifier(settings.pushAudience(), settings.pushServiceAccount(), settings.certificatesLocation());
  }

  @PostMapping("/")
  ResponseEntity<String> relay(@RequestHeader HttpHeaders headers, @org.springframework.web.bind.annotation.RequestBody(required = false) byte[] body) {
    byte[] content = body == null ? new byte[0] : body;
    if (verifier != null) {
      try {
        verifier.verify(headers.getFirst(HttpHeaders.AUTHORIZATION));
      } catch (PushTokenVerifier.Rejected e) {
        LOG.warn("refused a delivery: {}", e.getMessage());
        return text(HttpStatus.valueOf(e.status), e.getMessage());
      }
    }
    Map<String, String> first = new LinkedHashMap<>();
    headers.forEach((name, values) -> first.put(name, values.isEmpty() ? "" : values.get(0)));
    Delivery delivery;
    try {
      delivery = Delivery.parse(first, content);
    } catch (Delivery.Malformed e) {
      return text(HttpStatus.BAD_REQUEST, e.getMessage());
    }
    String type = headers.getFirst(HttpHeaders.CONTENT_TYPE);
    Request.Builder forward = new Request.Builder().url(settings.target())
        .post(RequestBody.create(content, MediaType.parse(type == null ? "application/json" : type)));
    try {
      // The receiver de-duplicates on it, which also lets the SDK retry this POST.
      forward.header("Idempotency-Key", delivery.id());
      delivery.ceHeaders().forEach(forward::header);
    } catch (IllegalArgumentException e) {
      // OkHttp refuses what HTTP/1.1 cannot carry; CloudEvents percent-encode such characters.
      return text(HttpStatus.BAD_REQUEST, "ce-* header or message id with characters that cannot be forwarded "
          + "(CloudEvents header values must be percent-encoded)");
    }
    try (Response r = http.newCall(forward.build()).execute()) {
      if (r.isSuccessful()) {
        return ResponseEntity.noContent().build();
      }
      LOG.warn("{} {} not delivered: target answered {}", delivery.kind(), delivery.id(), r.code());
      return text(HttpStatus.SERVICE_UNAVAILABLE, "not delivered: " + settings.target().host()
          + " answered " + r.code() + "; Pub/Sub will redeliver");
    } catch (IOException e) {
      LOG.warn("{} {} not delivered", delivery.kind(), delivery.id(), e);
      return text(HttpStatus.SERVICE_UNAVAILABLE, "not delivered: " + oneLine(e) + "; Pub/Sub will redeliver");
    }
  }

  private static ResponseEntity<String> text(HttpStatus status, String line) {
    return ResponseEntity.status(status).contentType(TEXT).body(line + "\n");
  }

  static String oneLine(Throwable e) {
    String m = e.getMessage();
    return (m == null || m.isBlank() ? e.getClass().getSimpleName() : m).replaceAll("\\s+", " ").strip();
  }
}
