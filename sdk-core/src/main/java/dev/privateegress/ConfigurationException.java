package dev.privateegress;

import dev.privateegress.internal.Util;
import java.util.Optional;

/**
 * A configuration variable, system property, builder value or CLI argument was invalid. The message
 * names the input, shows the value (masked when it is a secret, control characters escaped) and lists
 * what is allowed.
 */
public final class ConfigurationException extends PrivateEgressException {
  private static final long serialVersionUID = 1L;
  /** Longer values are cut in messages: a value is read from outside and must not flood a log line. */
  private static final int SHOWN_MAX = 120;

  private final String input;
  private final String shownValue;

  /**
   * @param input the variable or argument name, e.g. {@code REDISPORT}
   * @param shownValue the value as it may be shown (already masked if secret), or null if unset
   * @param problem what is wrong and what is allowed, e.g. "expected a port number 1-65535"
   */
  public ConfigurationException(String input, String shownValue, String problem) {
    super(format(input, shownValue, problem));
    this.input = input;
    this.shownValue = Util.escapeControls(shorten(shownValue));
  }

  /** Like {@link #ConfigurationException(String, String, String)}, with the exception that revealed it. */
  public ConfigurationException(String input, String shownValue, String problem, Throwable cause) {
    super(format(input, shownValue, problem), cause);
    this.input = input;
    this.shownValue = Util.escapeControls(shorten(shownValue));
  }

  /** Control characters are escaped: a value read from the environment must not forge log lines. */
  private static String format(String input, String shownValue, String problem) {
    return Util.escapeControls(shownValue == null
        ? input + " is not set: " + problem
        : input + "=" + shorten(shownValue) + " is invalid: " + problem);
  }

  private static String shorten(String value) {
    return value == null || value.length() <= SHOWN_MAX ? value
        : value.substring(0, SHOWN_MAX) + "...(" + value.length() + " characters)";
  }

  /** The variable, property or argument that was wrong, e.g. {@code PRIVATE_EGRESS_MODE}. */
  public String input() {
    return input;
  }

  /** The offending value as shown in the message; secrets are masked. */
  public Optional<String> shownValue() {
    return Optional.ofNullable(shownValue);
  }
}
