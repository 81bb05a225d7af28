package dev.privateegress;

/** A token could not be obtained. The message says from where, for which audience, and why. */
public final class TokenException extends PrivateEgressException {
  private static final long serialVersionUID = 1L;

  /** A token failure explained by {@code message}. */
  public TokenException(String message) {
    super(message);
  }

  /** A token failure explained by {@code message}, caused by {@code cause}. */
  public TokenException(String message, Throwable cause) {
    super(message, cause);
  }
}
