package dev.privateegress;

/** A token could not be obtained. The message says from where, for which audience, and why. */
public final class TokenException extends PrivateEgressException {
  private static final long serialVersionUID = 1L;

  public TokenException(String message) {
    super(message);
  }

  public TokenException(String message, Throwable cause) {
    super(message, cause);
  }
}
