package dev.privateegress.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Optional;

/** Null-tolerant reads from Gson trees: admin-API documents omit fields that hold defaults. */
final class JsonReads {
  private JsonReads() {}

  /** The string at {@code key}, or "" when absent, null or not a string. */
  static String string(JsonObject o, String key) {
    if (o == null) {
      return "";
    }
    JsonElement e = o.get(key);
    return e != null && e.isJsonPrimitive() ? e.getAsString() : "";
  }

  /** The object at {@code key}, if it is one. */
  static Optional<JsonObject> object(JsonObject o, String key) {
    if (o == null) {
      return Optional.empty();
    }
    JsonElement e = o.get(key);
    return e != null && e.isJsonObject() ? Optional.of(e.getAsJsonObject()) : Optional.empty();
  }

  /** The array at {@code key}, or an empty array. */
  static JsonArray array(JsonObject o, String key) {
    if (o == null) {
      return new JsonArray();
    }
    JsonElement e = o.get(key);
    return e != null && e.isJsonArray() ? e.getAsJsonArray() : new JsonArray();
  }
}
