package dev.privateegress.samples.counter;

import dev.privateegress.redis.AmbiguousCommandException;
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

/** {@code GET /} and {@code GET /redis}; Redis failures become a 503 with one line of reason. */
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
    LOG.warn("INCR counter outcome unknown", e);
    return unavailable("Redis did not confirm INCR counter: the connection broke or timed out after the command "
        + "was sent, so this visit may or may not have been counted, and it was not sent again. Reload to count it.");
  }

  @ExceptionHandler(JedisException.class)
  ResponseEntity<String> redisDown(JedisException e) {
    LOG.warn("Redis unavailable", e);
    return unavailable("Redis unavailable: " + oneLine(e));
  }

  private static ResponseEntity<String> unavailable(String line) {
    return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).contentType(TEXT)
        .header(HttpHeaders.RETRY_AFTER, "1").body(line + "\n");
  }

  static String oneLine(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = e; t != null && sb.length() < 400; t = t.getCause()) {
      String m = t.getMessage();
      if (m != null && !m.isBlank() && sb.indexOf(m.strip()) < 0) {
        sb.append(sb.length() == 0 ? "" : ": ").append(m.strip());
      }
      if (t.getCause() == t) {
        break;
      }
    }
    String s = sb.length() == 0 ? e.getClass().getSimpleName() : sb.toString();
    s = s.replaceAll("\\s+", " ");
    return s.length() > 400 ? s.substring(0, 400) + "..." : s;
  }
}
