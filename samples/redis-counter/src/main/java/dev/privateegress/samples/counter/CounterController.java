package dev.privateegress.samples.counter;

import dev.privateegress.redis.AmbiguousCommandException;
import dev.privateegress.samples.support.PublicAnswer;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;

/** {@code GET /} and {@code GET /redis}; Redis failures become a 503 with a short reason and a request id. */
@RestController
class CounterController {
  private static final Logger LOG = LoggerFactory.getLogger(CounterController.class);
  private static final MediaType TEXT = new MediaType("text", "plain", java.nio.charset.StandardCharsets.UTF_8);

  private final UnifiedJedis redis;

  CounterController(UnifiedJedis redis) {
    this.redis = redis;
  }

  @GetMapping(path = "/", produces = MediaType.APPLICATION_JSON_VALUE)
  Map<String, String> hello() {
    return Map.of("Hello", "World");
  }

  @GetMapping(path = "/redis", produces = "text/plain;charset=UTF-8")
  String visit() {
    // Sent at most once: the SDK never replays an INCR whose outcome is unknown.
    return "Visitor number: " + redis.incr("counter");
  }

  @ExceptionHandler(AmbiguousCommandException.class)
  ResponseEntity<String> ambiguous(AmbiguousCommandException e) {
    String id = PublicAnswer.newRequestId();
    LOG.warn("request {}: INCR counter outcome unknown", id, e);
    return unavailable("Redis did not confirm INCR counter: this visit may or may not have been counted, and it "
        + "was not sent again. Reload to count it.", id);
  }

  @ExceptionHandler(JedisException.class)
  ResponseEntity<String> redisDown(JedisException e) {
    // The address, the exception and the SDK's advice are for the operator, under the request id.
    String id = PublicAnswer.newRequestId();
    LOG.warn("request {}: Redis unavailable", id, e);
    return unavailable("Redis unavailable", id);
  }

  private static ResponseEntity<String> unavailable(String reason, String requestId) {
    return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).contentType(TEXT)
        .header(HttpHeaders.RETRY_AFTER, "1").body(PublicAnswer.text(reason, requestId));
  }
}
