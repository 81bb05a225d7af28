package dev.privateegress.samples.relay;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
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
 * @param kind {@code cloudevent} or {@code pubsub}
 * @param id the {@code ce-id} or the Pub/Sub message id: the {@code Idempotency-Key} sent on
 * @param ceHeaders the {@code ce-*} headers to forward, names in lower case, in arrival order
 */
record Delivery(String kind, String id, Map<String, String> ceHeaders) {
  private static final List<String> REQUIRED_CE = List.of("ce-id", "ce-source", "ce-specversion", "ce-type");

  /** Input the relay cannot forward; the message is the one line returned with the 400. */
  static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;

    Malformed(String message) {
      super(message);
    }
  }

  /**
   * Recognises the delivery.
   *
   * @param headers request headers, names in any case (first value each)
   * @param body the request body
   * @throws Malformed when it is neither a complete binary CloudEvent nor a Pub/Sub push envelope
   */
  static Delivery parse(Map<String, String> headers, byte[] body) throws Malformed {
    Map<String, String> ce = new LinkedHashMap<>();
    headers.forEach((name, value) -> {
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.startsWith("ce-")) {
        ce.put(lower, value);
      }
    });
    if (!ce.isEmpty()) {
      for (String required : REQUIRED_CE) {
        String v = ce.get(required);
        if (v == null || v.isBlank()) {
          throw new Malformed("binary-mode CloudEvent without " + required + " (required: " + REQUIRED_CE + ")");
        }
      }
      if (!"1.0".equals(ce.get("ce-specversion").strip())) {
        throw new Malformed("unsupported ce-specversion '" + ce.get("ce-specversion") + "', expected 1.0");
      }
      return new Delivery("cloudevent", ce.get("ce-id").strip(), Map.copyOf(ce));
    }
    JsonObject envelope;
    try {
      JsonElement parsed = JsonParser.parseString(new String(body, StandardCharsets.UTF_8));
      if (!parsed.isJsonObject()) {
        throw new Malformed("body is not a Pub/Sub push envelope (a JSON object with \"message\") "
            + "and there are no ce-* headers of a binary-mode CloudEvent");
      }
      envelope = parsed.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new Malformed("body is not JSON and there are no ce-* headers: neither a Pub/Sub push envelope "
          + "nor a binary-mode CloudEvent");
    }
    JsonElement message = envelope.get("message");
    if (message == null || !message.isJsonObject()) {
      throw new Malformed("Pub/Sub push envelope without a \"message\" object");
    }
    JsonObject m = message.getAsJsonObject();
    String id = string(m, "messageId");
    if (id == null) {
      id = string(m, "message_id");
    }
    if (id == null || id.isBlank()) {
      throw new Malformed("Pub/Sub message without messageId");
    }
    JsonElement data = m.get("data");
    if (data != null && !data.isJsonNull()) {
      if (!data.isJsonPrimitive() || !data.getAsJsonPrimitive().isString()) {
        throw new Malformed("Pub/Sub message " + id + ": data is not a base64 string");
      }
      try {
        Base64.getDecoder().decode(data.getAsString());
      } catch (IllegalArgumentException e) {
        throw new Malformed("Pub/Sub message " + id + ": data is not valid base64");
      }
    }
    return new Delivery("pubsub", id.strip(), Map.of());
  }

  private static String string(JsonObject o, String name) {
    JsonElement e = o.get(name);
    return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() ? e.getAsString() : null;
  }
}
