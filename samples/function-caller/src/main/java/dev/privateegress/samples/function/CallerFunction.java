package dev.privateegress.samples.function;

import com.google.cloud.functions.HttpFunction;
import com.google.cloud.functions.HttpRequest;
import com.google.cloud.functions.HttpResponse;
import dev.privateegress.PrivateEgress;
import dev.privateegress.http.PrivateHttp;
import dev.privateegress.samples.support.PublicAnswer;
import dev.privateegress.samples.support.Untrusted;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Writer;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * A Cloud Run function (Functions Framework {@link HttpFunction}) that calls {@code INTERNAL_API_URL}
 * (default {@code http://my.api.private/}) through the SDK's OkHttp client and relays the status, the
 * {@code Content-Type} and the body.
 *
 * <p>The SDK resolves the private name (or a {@code PRIVATE_EGRESS_HOSTS} override), adds an ID token
 * when {@code PRIVATE_EGRESS_AUDIENCES} maps the host, and retries connect failures and 429/502/503/504
 * under one deadline. When the API cannot be reached at all the function answers 502 with the SDK's
 * one-line explanation (no VPC egress, private zone not visible, firewall...), never a stack trace.
 *
 * <p>The framework creates one instance per runtime instance; the constructor does no network I/O.
 */
public final class CallerFunction implements HttpFunction {
  /** Where the function sends its GET. */
  public static final String URL_VARIABLE = "INTERNAL_API_URL";
  /** The private name of the field report: an internal load balancer in a private Cloud DNS zone. */
  public static final String DEFAULT_URL = "http://my.api.private/";

  private static final Logger LOG = Logger.getLogger(CallerFunction.class.getName());

  private final OkHttpClient http;
  private final HttpUrl target;

  /** Reads the SDK variables and {@code INTERNAL_API_URL} from the process environment. */
  public CallerFunction() {
    this(PrivateEgress.fromEnvironment(), System.getenv());
  }

  /**
   * For tests and embedding: the SDK configuration and the variables to read {@code INTERNAL_API_URL} from.
   *
   * @throws IllegalArgumentException when {@code INTERNAL_API_URL} is not an http(s) URL
   */
  CallerFunction(PrivateEgress egress, Map<String, String> env) {
    this.target = targetUrl(env);
    this.http = PrivateHttp.newClient(egress);
  }

  static HttpUrl targetUrl(Map<String, String> env) {
    String raw = env.get(URL_VARIABLE);
    if (raw == null || raw.isBlank()) {
      raw = System.getProperty("internal.api.url", DEFAULT_URL);
    }
    HttpUrl url = HttpUrl.parse(raw.strip());
    if (url == null) {
      throw new IllegalArgumentException(URL_VARIABLE + " must be an http:// or https:// URL such as "
          + DEFAULT_URL + ", was '" + raw + "'; set it to the internal load balancer's URL");
    }
    return url;
  }

  @Override
  public void service(HttpRequest request, HttpResponse response) throws IOException {
    if (!"GET".equals(request.getMethod())) {
      response.setStatusCode(405, "Method Not Allowed");
      response.appendHeader("Allow", "GET");
      return;
    }
    Request call = new Request.Builder().url(target).get().build();
    Response upstream;
    try {
      upstream = http.newCall(call).execute();
    } catch (IOException e) {
      // The SDK's explanation (no VPC egress, private zone not visible, ...) is for the operator.
      String id = PublicAnswer.newRequestId();
      LOG.log(Level.WARNING, "request " + id + ": GET " + shown(target) + " failed", e);
      answer(response, 502, PublicAnswer.text("internal API unreachable", id));
      return;
    }
    try (upstream) {
      if (!upstream.isSuccessful()) {
        PublicAnswer.Mapped mapped = PublicAnswer.upstreamError("internal API", upstream.code());
        String id = PublicAnswer.newRequestId();
        LOG.warning("request " + id + ": GET " + shown(target) + " answered " + upstream.code() + " (Content-Type "
            + Untrusted.shown(upstream.header("Content-Type")) + ", Content-Length "
            + Untrusted.shown(upstream.header("Content-Length")) + "); answered " + mapped.status());
        answer(response, mapped.status(), PublicAnswer.text(mapped.reason(), id));
        return;
      }
      response.setStatusCode(upstream.code());
      String type = upstream.header("Content-Type");
      if (type != null) {
        response.setContentType(type);
      }
      ResponseBody body = upstream.body();
      // Streamed as it comes: never held in memory whole.
      try (InputStream in = body.byteStream(); OutputStream out = response.getOutputStream()) {
        in.transferTo(out);
      }
    }
  }

  private static void answer(HttpResponse response, int status, String text) throws IOException {
    response.setStatusCode(status);
    response.setContentType("text/plain; charset=utf-8");
    try (Writer w = response.getWriter()) {
      w.write(text);
    }
  }

  /** The URL without user info and query, which may carry secrets. */
  static String shown(HttpUrl url) {
    return url.newBuilder().username("").password("").query(null).fragment(null).build().toString();
  }
}
