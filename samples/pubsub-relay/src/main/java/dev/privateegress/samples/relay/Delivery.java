package dev.privateegress.samples.relay;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.privateegress.samples.support.Untrusted;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One inbound delivery, recognised as a binary-mode CloudEvent (Eventarc: context attributes in
 * {@code ce-*} headers) or a Pub/Sub push envelope ({@code {"message": {"messageId", "data", ...},
 * "subscription"}}), with the key the receiver can de-duplicate on.
 *
 * <p>Read strictly, so that the relay and the receiver see the same delivery: JSON bodies by
 * {@link StrictJson}, each {@code ce-*} header once, ids of at most {@link #MAX_ID} visible ASCII characters.
 *
 * @param kind {@code cloudevent} or {@code pubsub}
 * @param id the {@code ce-id} or the Pub/Sub message id: the {@code Idempotency-Key} sent on
 * @param ceHeaders the {@code ce-*} headers to forward, names in lower case, in arrival order
 */
record Delivery(String kind, String id, Map<String, String> ceHeaders) {
  /** Pub/Sub message ids are about 17 digits; CloudEvents ids are short too. */
  static final int MAX_ID = 256;
  static final int MAX_CONTENT_TYPE = 256;
  private static final List<String> REQUIRED_CE = List.of("ce-id", "ce-source", "ce-specversion", "ce-type");

  /**
   * Input the relay cannot forward: {@link #getMessage()} is the fixed reason answered with the 400,
   * {@link #detail} (with the caller's values, escaped) is for the log.
   */
  static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;
    final String detail;

    Malformed(String reason) {
      this(reason, "");
    }

    Malformed(String reason, String detail) {
      super(reason);
      this.detail = detail;
    }
  }

  /**
   * Recognises the delivery.
   *
   * @param headers request headers, names in any case, every value
   * @param body the request body
   * @throws Malformed when it is neither a complete binary CloudEvent nor a Pub/Sub push envelope
   */
  static Delivery parse(Map<String, List<String>> headers, byte[] body) throws Malformed {
    Map<String, String> ce = new LinkedHashMap<>();
    String contentType = null;
    for (Map.Entry<String, List<String>> h : headers.entrySet()) {
      String lower = h.getKey().toLowerCase(Locale.ROOT);
      if (lower.startsWith("ce-")) {
        if (h.getValue().size() != 1 || ce.containsKey(lower)) {
          throw new Malformed("a ce-* header more than once", "header " + Untrusted.shown(lower));
        }
        ce.put(lower, h.getValue().get(0));
      } else if (lower.equals("content-type") && !h.getValue().isEmpty()) {
        contentType = h.getValue().get(0);
      }
    }
    if (contentType != null && (contentType.length() > MAX_CONTENT_TYPE
        || !contentType.chars().allMatch(c -> c == '\t' || (c >= 0x20 && c < 0x7f)))) {
      // OkHttp would refuse it only when the request is sent: a 500 for the caller's input.
      throw new Malformed("Content-Type with characters that cannot be forwarded",
          "Content-Type " + Untrusted.shown(contentType));
    }
    if (!ce.isEmpty()) {
      for (String required : REQUIRED_CE) {
        String v = ce.get(required);
        if (v == null || v.isBlank()) {
          throw new Malformed("binary-mode CloudEvent without " + required + " (required: " + REQUIRED_CE + ")");
        }
      }
      if (!"1.0".equals(ce.get("ce-specversion"))) {
        throw new Malformed("unsupported ce-specversion, expected 1.0",
            "ce-specversion " + Untrusted.shown(ce.get("ce-specversion")));
      }
      if (isJson(contentType)) {
        try {
          StrictJson.parse(body);
        } catch (StrictJson.Invalid e) {
          throw new Malformed("CloudEvent data of a JSON content type is not strict JSON: " + e.getMessage());
        }
      }
      return new Delivery("cloudevent", id("ce-id", ce.get("ce-id")), Map.copyOf(ce));
    }
    JsonElement parsed;
    try {
      parsed = StrictJson.parse(body);
    } catch (StrictJson.Invalid e) {
      throw new Malformed("body is not a Pub/Sub push envelope (strict JSON: " + e.getMessage()
          + ") and there are no ce-* headers of a binary-mode CloudEvent");
    }
    if (!parsed.isJsonObject()) {
      throw new Malformed("body is not a Pub/Sub push envelope (a JSON object with \"message\") "
          + "and there are no ce-* headers of a binary-mode CloudEvent");
    }
    JsonElement message = parsed.getAsJsonObject().get("message");
    if (message == null || !message.isJsonObject()) {
      throw new Malformed("Pub/Sub push envelope without a \"message\" object");
    }
    JsonObject m = message.getAsJsonObject();
    String camel = string(m, "messageId");
    String snake = string(m, "message_id");
    if (camel != null && snake != null && !camel.equals(snake)) {
      throw new Malformed("Pub/Sub message with different messageId and message_id",
          "messageId " + Untrusted.shown(camel) + ", message_id " + Untrusted.shown(snake));
    }
    String id = camel != null ? camel : snake;
    if (id == null || id.isEmpty()) {
      throw new Malformed("Pub/Sub message without messageId");
    }
    id = id("messageId", id);
    JsonElement data = m.get("data");
    if (data != null && !data.isJsonNull()) {
      if (!data.isJsonPrimitive() || !data.getAsJsonPrimitive().isString()) {
        throw new Malformed("Pub/Sub message data is not a base64 string", "messageId " + id);
      }
      try {
        Base64.getDecoder().decode(data.getAsString());
      } catch (IllegalArgumentException e) {
        throw new Malformed("Pub/Sub message data is not valid base64", "messageId " + id);
      }
    }
    return new Delivery("pubsub", id, Map.of());
  }

  /** The id as it is sent on in {@code Idempotency-Key}: 1 to MAX_ID visible ASCII characters. */
  private static String id(String name, String value) throws Malformed {
    boolean ok = !value.isEmpty() && value.length() <= MAX_ID && value.chars().allMatch(c -> c > 0x20 && c < 0x7f);
    if (!ok) {
      throw new Malformed(name + " must be 1 to " + MAX_ID + " visible ASCII characters",
          name + " " + Untrusted.shown(value));
    }
    return value;
  }

  private static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String t = contentType.toLowerCase(Locale.ROOT);
    int semi = t.indexOf(';');
    t = (semi < 0 ? t : t.substring(0, semi)).strip();
    return t.equals("application/json") || t.endsWith("+json");
  }

  private static String string(JsonObject o, String name) {
    JsonElement e = o.get(name);
    return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() ? e.getAsString() : null;
  }
}
