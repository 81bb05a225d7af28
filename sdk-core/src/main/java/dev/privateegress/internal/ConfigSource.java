package dev.privateegress.internal;

import dev.privateegress.VariableLookup;
import java.util.Locale;
import java.util.Map;

/**
 * Looks a configuration variable up in the builder's values, then a framework's {@link VariableLookup}, then the system properties (the name in
 * lower case with dots), then the environment, and remembers which input the value came from so an
 * error names what the user actually wrote.
 */
public final class ConfigSource {
  /** A value and the input it came from: {@code PRIVATE_EGRESS_MODE} or {@code private.egress.mode}. */
  public record Raw(String input, String value) {
    @Override
    public String toString() {
      return input + "=(" + value.length() + " chars)"; // the value may be a secret
    }
  }

  private final Map<String, String> explicit;
  private final VariableLookup lookup;
  private final Map<String, String> properties;
  private final Map<String, String> env;

  public ConfigSource(Map<String, String> explicit, Map<String, String> properties, Map<String, String> env) {
    this(explicit, VariableLookup.NONE, properties, env);
  }

  public ConfigSource(Map<String, String> explicit, VariableLookup lookup, Map<String, String> properties,
      Map<String, String> env) {
    this.explicit = explicit;
    this.lookup = lookup;
    this.properties = properties;
    this.env = env;
  }

  /** The value of {@code variable}, or null when no input sets it. */
  public Raw get(String variable) {
    String v = explicit.get(variable);
    if (v != null) {
      return new Raw(variable, v);
    }
    VariableLookup.Setting found = lookup.find(variable);
    if (found != null && found.value() != null) {
      return new Raw(found.input(), found.value());
    }
    String property = propertyName(variable);
    v = properties.get(property);
    if (v != null) {
      return new Raw(property, v);
    }
    v = env.get(variable);
    return v == null ? null : new Raw(variable, v);
  }

  /** {@code PRIVATE_EGRESS_MODE} becomes {@code private.egress.mode}. */
  public static String propertyName(String variable) {
    return variable.toLowerCase(Locale.ROOT).replace('_', '.');
  }
}
