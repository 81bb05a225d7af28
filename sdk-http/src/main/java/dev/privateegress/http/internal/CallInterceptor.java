package dev.privateegress.http.internal;

import dev.privateegress.EgressConfig;
import java.io.IOException;
import java.net.ProtocolException;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SDK's application interceptor. Its own job: open the logical call (its {@link CallState}: deadline,
 * attempt count), follow redirects hop by hop with OkHttp's rules (OkHttp's own following is off, so each hop
 * gets the token of its own host only), and report the call once when it ends ({@code callEnded} to the
 * listener, the outcome to the client's resilience4j {@code Retry}). Each hop goes through {@link TokenStep}
 * (token, 401) and {@link RetryStep} (attempts), each with one job, called directly rather than as OkHttp
 * interceptors: every OkHttp interceptor costs a copy of the chain per call.
 */
public final class CallInterceptor implements Interceptor {
  private static final Logger log = LoggerFactory.getLogger(CallInterceptor.class);

  /** Same limit as OkHttp's (and curl's, and Firefox's). */
  static final int MAX_FOLLOW_UPS = 20;

  final ClientContext calls;
  private final TokenStep next;

  CallInterceptor(ClientContext calls) {
    this.calls = calls;
    this.next = new TokenStep(calls, new RetryStep(calls));
  }

  /**
   * The resilience4j Retry of the client this interceptor belongs to.
   *
   * @return the client's Retry
   */
  public io.github.resilience4j.retry.Retry retry() {
    return calls.retry;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Call call = chain.call();
    Request request = chain.request();
    CallState state = open(call, request);
    CallState outer = CallState.enter(state);
    boolean succeeded = false;
    String origin = null; // the call is reported under the target it was made to, not a redirect's
    try {
      int followUps = 0;
      while (true) {
        state.target = calls.target(request.url());
        if (origin == null) {
          origin = state.target;
        }
        Response response = next.proceed(chain, state, request);
        Request followUp = calls.followRedirects ? followUp(response, request) : null;
        RequestBody body = followUp == null ? null : followUp.body();
        if (followUp == null || body != null && body.isOneShot()) {
          // final; with a one-shot body the redirect cannot be followed, so the caller sees it
          succeeded = RetryRules.success(response.code());
          state.handedOver = true;
          return response;
        }
        response.close();
        if (++followUps > MAX_FOLLOW_UPS) {
          throw new ProtocolException("Too many follow-up requests: " + followUps);
        }
        if (log.isDebugEnabled()) {
          log.debug("following redirect to {}", followUp.url().redact());
        }
        request = followUp;
      }
    } finally {
      CallState.exit(outer);
      if (calls.listener != null) {
        calls.listener.callEnded(origin != null ? origin : state.target, state.attempts, succeeded);
      }
      calls.retry.ended(state.retries, succeeded, state.lastOutcome);
    }
  }

  private CallState open(Call call, Request request) {
    CallState state = new CallState(call, calls, System.nanoTime(), request.isHttps());
    call.addEventListener(state);
    return state;
  }

  /** The next request for a redirect, mirroring OkHttp's rules; null when the response is final. */
  private Request followUp(Response response, Request prior) {
    int code = response.code();
    if (code != 300 && code != 301 && code != 302 && code != 303 && code != 307 && code != 308) {
      return null;
    }
    String location = response.header("Location");
    if (location == null) {
      return null;
    }
    HttpUrl url = prior.url().resolve(location);
    if (url == null) {
      return null;
    }
    if (!url.scheme().equals(prior.url().scheme()) && !calls.followSslRedirects) {
      return null;
    }
    Request.Builder b = prior.newBuilder();
    String method = prior.method();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      boolean keepBody = method.equals("PROPFIND") || code == 307 || code == 308;
      if (keepBody) {
        b.method(method, prior.body());
      } else {
        b.method("GET", null);
        b.removeHeader("Transfer-Encoding").removeHeader("Content-Length").removeHeader("Content-Type");
      }
    }
    boolean sameOrigin = url.scheme().equals(prior.url().scheme()) && url.host().equals(prior.url().host())
        && url.port() == prior.url().port();
    if (!sameOrigin) {
      // OkHttp drops only Authorization; a token the caller put in another header must not follow either.
      for (String h : EgressConfig.TOKEN_HEADERS) {
        b.removeHeader(h);
      }
    }
    return b.url(url).build();
  }
}
