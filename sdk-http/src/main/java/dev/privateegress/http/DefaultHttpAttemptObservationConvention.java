package dev.privateegress.http;

import io.micrometer.common.KeyValues;
import okhttp3.HttpUrl;
import okhttp3.Response;

/**
 * OpenTelemetry's HTTP client conventions for one attempt: observation {@code private.egress.http.attempt},
 * span name the method; {@code http.request.method}, {@code server.address}, {@code server.port},
 * {@code http.response.status_code}, {@code error.type} (low cardinality); {@code url.full} with every query
 * value replaced by {@code REDACTED} and no user info, {@code http.request.resend_count} on re-sent attempts
 * (high cardinality). The SDK's own facts under {@code private_egress.}: {@code resend.reason} (the previous
 * attempt's outcome), {@code resend.wait_ms}, {@code token} ({@code cached} or {@code fetched}).
 */
public class DefaultHttpAttemptObservationConvention implements HttpAttemptObservationConvention {
  public static final DefaultHttpAttemptObservationConvention INSTANCE = new DefaultHttpAttemptObservationConvention();

  @Override
  public String getName() {
    return "private.egress.http.attempt";
  }

  @Override
  public String getContextualName(HttpAttemptContext context) {
    return context.request().method();
  }

  @Override
  public KeyValues getLowCardinalityKeyValues(HttpAttemptContext context) {
    HttpUrl url = context.request().url();
    KeyValues kv = KeyValues.of("http.request.method", context.request().method(),
        "server.address", url.host(), "server.port", Integer.toString(url.port()));
    Response response = context.getResponse();
    if (response != null) {
      kv = kv.and("http.response.status_code", Integer.toString(response.code()));
    }
    Throwable error = context.getError();
    if (error != null) {
      kv = kv.and("error.type", error.getClass().getName());
    } else if (response != null && response.code() >= 400) {
      kv = kv.and("error.type", Integer.toString(response.code()));
    }
    return kv;
  }

  @Override
  public KeyValues getHighCardinalityKeyValues(HttpAttemptContext context) {
    KeyValues kv = KeyValues.of("url.full", urlFull(context.request().url()));
    if (context.resendCount() > 0) {
      kv = kv.and("http.request.resend_count", Integer.toString(context.resendCount()));
      if (context.resendReason() != null) {
        kv = kv.and("private_egress.resend.reason", context.resendReason());
      }
      if (context.waitMillis() >= 0) {
        kv = kv.and("private_egress.resend.wait_ms", Long.toString(context.waitMillis()));
      }
    }
    if (context.token() != null) {
      kv = kv.and("private_egress.token", context.token());
    }
    return kv;
  }

  /** {@code url} without user info or fragment, each query value replaced by {@code REDACTED}. */
  static String urlFull(HttpUrl url) {
    String query = url.encodedQuery();
    String base = url.newBuilder().username("").password("").query(null).fragment(null).build().toString();
    if (query == null) {
      return base;
    }
    StringBuilder b = new StringBuilder(base).append('?');
    int start = 0;
    while (start <= query.length()) {
      int end = query.indexOf('&', start);
      if (end < 0) {
        end = query.length();
      }
      int eq = query.indexOf('=', start);
      if (start > 0) {
        b.append('&');
      }
      if (eq >= 0 && eq < end) {
        b.append(query, start, eq).append("=REDACTED");
      } else {
        b.append(query, start, end);
      }
      start = end + 1;
    }
    return b.toString();
  }
}
