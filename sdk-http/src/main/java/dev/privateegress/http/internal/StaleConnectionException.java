package dev.privateegress.http.internal;

import java.io.IOException;

/**
 * A pooled HTTP/1 connection turned out, before any byte of the request was written on it, to be closed by the
 * server (its keep-alive timeout ran out while the connection sat in the pool). The request is sent on another
 * connection; it is not a failed attempt.
 */
final class StaleConnectionException extends IOException {
  private static final long serialVersionUID = 1L;

  StaleConnectionException(String message) {
    super(message, null);
  }
}
