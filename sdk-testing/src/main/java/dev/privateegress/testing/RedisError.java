package dev.privateegress.testing;

/** An error reply from Redis to {@link RedisNode#command}, e.g. {@code ERR unknown command}. */
public final class RedisError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An error with the server's reply line as message. */
  public RedisError(String message) {
    super(message);
  }
}
