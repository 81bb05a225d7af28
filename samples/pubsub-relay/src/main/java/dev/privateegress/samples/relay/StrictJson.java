package dev.privateegress.samples.relay;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * JSON as RFC 8259 writes it and nothing more: UTF-8 without malformed bytes, no comments, single quotes,
 * unquoted names or trailing data (Gson's {@link Strictness#STRICT}), and no name twice in one object, so
 * the relay and the receiver cannot read different values from the same body.
 */
final class StrictJson {
  private StrictJson() {}

  /** Not JSON under these rules; the message names the rule, never the input. */
  static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    Invalid(String message) {
      super(message);
    }
  }

  static JsonElement parse(byte[] body) throws Invalid {
    Reader utf8 = new InputStreamReader(new ByteArrayInputStream(body), StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT));
    try (JsonReader reader = new JsonReader(utf8)) {
      reader.setStrictness(Strictness.STRICT);
      JsonElement value = read(reader);
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw new Invalid("data after the JSON value");
      }
      return value;
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new Invalid("not UTF-8");
    } catch (IOException | IllegalStateException | NumberFormatException e) {
      // MalformedJsonException, EOFException and Gson's nesting limit (255 levels) all land here.
      throw new Invalid("not strict JSON");
    }
  }

  private static JsonElement read(JsonReader in) throws IOException, Invalid {
    switch (in.peek()) {
      case BEGIN_OBJECT:
        JsonObject object = new JsonObject();
        in.beginObject();
        while (in.hasNext()) {
          String name = in.nextName();
          if (object.has(name)) {
            throw new Invalid("a name twice in one object");
          }
          object.add(name, read(in));
        }
        in.endObject();
        return object;
      case BEGIN_ARRAY:
        JsonArray array = new JsonArray();
        in.beginArray();
        while (in.hasNext()) {
          array.add(read(in));
        }
        in.endArray();
        return array;
      case STRING:
        return new JsonPrimitive(in.nextString());
      case NUMBER:
        return new JsonPrimitive(new java.math.BigDecimal(in.nextString()));
      case BOOLEAN:
        return new JsonPrimitive(in.nextBoolean());
      case NULL:
        in.nextNull();
        return JsonNull.INSTANCE;
      default:
        throw new Invalid("not strict JSON");
    }
  }
}
