package dev.privateegress;

/**
 * Where the configuration variables come from when a framework has its own configuration (Spring's
 * {@code Environment}): given a variable name such as {@code PRIVATE_EGRESS_MODE}, the value set for it and
 * the name of the input that set it, which errors then name. The SDK parses the value by the variable's own
 * rules. Consulted after the builder's setters and before the system properties and environment map.
 */
@FunctionalInterface
public interface VariableLookup {
  /** No variable set. */
  VariableLookup NONE = variable -> null;

  /** The setting for {@code variable}, or null when this lookup does not set it. */
  Setting find(String variable);

  /**
   * A value and the input that set it.
   *
   * @param input what the user wrote, e.g. {@code private-egress.mode} or {@code REDIS_URL}
   * @param value the raw value, parsed by the variable's rules; may be a secret
   */
  record Setting(String input, String value) {
    @Override
    public String toString() {
      return input + "=(" + value.length() + " chars)"; // the value may be a secret
    }
  }
}
