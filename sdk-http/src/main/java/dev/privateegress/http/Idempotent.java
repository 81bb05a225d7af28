package dev.privateegress.http;

import okhttp3.Request;

/**
 * A request tag that marks a non-idempotent request (POST, PATCH, ...) as safe to re-send, because the
 * server de-duplicates it by other means. Requests carrying an {@code Idempotency-Key} header need no tag.
 *
 * <pre>{@code
 * Request r = PrivateHttp.idempotent(new Request.Builder().url(url).post(body)).build();
 * // same as: new Request.Builder().url(url).post(body).tag(Idempotent.class, Idempotent.INSTANCE)
 * }</pre>
 */
public final class Idempotent {
  /** The tag value. */
  public static final Idempotent INSTANCE = new Idempotent();

  private Idempotent() {}

  /** True when {@code request} carries this tag. */
  public static boolean isTagged(Request request) {
    return request.tag(Idempotent.class) != null;
  }

  @Override
  public String toString() {
    return "Idempotent";
  }
}
