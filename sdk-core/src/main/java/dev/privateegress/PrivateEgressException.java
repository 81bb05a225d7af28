package dev.privateegress;

/**
 * Base of every exception the SDK throws on purpose. Unchecked; the message says what failed, with
 * which input, and what to do about it. Secrets never appear in it.
 */
public class PrivateEgressException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A failure explained by {@code message}. */
  public PrivateEgressException(String message) {
    super(message);
  }

  /** A failure explained by {@code message}, caused by {@code cause}. */
  public PrivateEgressException(String message, Throwable cause) {
    super(message, cause);
  }
}
