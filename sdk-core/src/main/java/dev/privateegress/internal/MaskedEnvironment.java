package dev.privateegress.internal;

import java.util.AbstractMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An environment map, read-only, whose {@code toString()} shows no secret: {@code REDIS_AUTH}, variables
 * whose name says they hold a password, secret, key or token, and the user info of URL values.
 */
public final class MaskedEnvironment extends AbstractMap<String, String> {
  private final Map<String, String> values;

  public MaskedEnvironment(Map<String, String> values) {
    this.values = Map.copyOf(values);
  }

  @Override
  public String get(Object key) {
    return values.get(key);
  }

  @Override
  public boolean containsKey(Object key) {
    return values.containsKey(key);
  }

  @Override
  public int size() {
    return values.size();
  }

  @Override
  public Set<Entry<String, String>> entrySet() {
    return values.entrySet();
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("{");
    new TreeMap<>(values).forEach((k, v) ->
        b.append(b.length() == 1 ? "" : ", ").append(Util.escapeControls(k)).append('=').append(shown(k, v)));
    return b.append('}').toString();
  }

  private static String shown(String key, String value) {
    String k = key.toUpperCase(Locale.ROOT);
    if (k.contains("AUTH") || k.contains("PASSWORD") || k.contains("SECRET") || k.endsWith("KEY")
        || (k.contains("TOKEN") && !k.endsWith("_HEADER"))) {
      return value.isEmpty() ? "" : "****";
    }
    return Util.escapeControls(value.contains("://") ? RedisUrlParser.masked(value) : value);
  }
}
