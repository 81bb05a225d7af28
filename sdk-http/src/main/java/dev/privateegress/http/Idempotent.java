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

  /**
   * Whether {@code request} carries this tag.
   *
   * @param request any request
   * @return true when the request was tagged with {@link #INSTANCE}, e.g. by {@link PrivateHttp#idempotent}
   */
  public static boolean isTagged(Request request) {
    return request.tag(Idempotent.class) != null;
  }

  /** {@code "Idempotent"}, for logs of request tags. */
  @Override
  public String toString() {
    return "Idempotent";
  }
}
