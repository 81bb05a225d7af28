package dev.privateegress.http;

import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.RequestReplySenderContext;
import okhttp3.Request;
import okhttp3.Response;

/**
 * One attempt on the wire: the request as the application built it (never the SDK's token), the response or
 * failure, and the SDK's facts about it. Its carrier is the request about to be sent, so the tracing handler's
 * propagator writes this attempt's own {@code traceparent}.
 */
public class HttpAttemptContext extends RequestReplySenderContext<Request.Builder, Response> {
  private final Request request;
  private final int resendCount;
  private final String resendReason;
  private final long waitMillis;
  private String token;

  /**
   * @param request the request without the SDK's token
   * @param resendCount attempts of this call before this one (0 for the first)
   * @param resendReason the previous attempt's outcome ({@code 503}, {@code reset}, ...), or null on the first
   * @param waitMillis time since the previous attempt ended, or -1 on the first
   */
  public HttpAttemptContext(Request request, int resendCount, String resendReason, long waitMillis) {
    super((builder, key, value) -> builder.header(key, value), Kind.CLIENT);
    this.request = request;
    this.resendCount = resendCount;
    this.resendReason = resendReason;
    this.waitMillis = waitMillis;
    setCarrier(request.newBuilder());
  }

  public Request request() {
    return request;
  }

  public int resendCount() {
    return resendCount;
  }

  public String resendReason() {
    return resendReason;
  }

  public long waitMillis() {
    return waitMillis;
  }

  /** {@code cached}, {@code fetched} (a cache miss for this attempt or its hop), or null without an SDK token. */
  public String token() {
    return token;
  }

  /** Set by the SDK once the attempt's token was looked up (inside the attempt's observation). */
  public void token(String source) {
    this.token = source;
  }
}
