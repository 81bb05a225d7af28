package dev.privateegress.internal;

import java.io.IOException;

/** A metadata-server request failed; {@link #status()} is -1 for network failures. */
public final class MetadataException extends IOException {
  private static final long serialVersionUID = 1L;

  private final int status;

  public MetadataException(String message, int status) {
    super(message);
    this.status = status;
  }

  public MetadataException(String message, Throwable cause) {
    super(message, cause);
    this.status = -1;
  }

  /** HTTP status, or -1 when no valid metadata response arrived. */
  public int status() {
    return status;
  }

  /** 5xx, 429, timeouts and connection failures are worth retrying. */
  public boolean retryable() {
    return status == -1 || status == 429 || status >= 500;
  }
}
