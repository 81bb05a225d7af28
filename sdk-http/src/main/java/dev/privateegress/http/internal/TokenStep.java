package dev.privateegress.http.internal;

import dev.privateegress.Token;
import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the current hop its ID token, and answers a 401 the way OkHttp's {@link okhttp3.Authenticator} does:
 * one more request with new credentials, or the 401 itself when no newer token can be had.
 *
 * <p>The token never enters an application-level request: it is handed to {@link WireInterceptor} through the
 * call's {@link CallState} and put on the wire there, for the exact host and scheme it was granted for. So no
 * request or response the caller can reach, and none of their interceptors, shows it, whatever the header name.
 */
final class TokenStep {
  private static final Logger log = LoggerFactory.getLogger(TokenStep.class);

  private final ClientContext calls;
  private final RetryStep next;

  TokenStep(ClientContext calls, RetryStep next) {
    this.calls = calls;
    this.next = next;
  }

  /** Sends one hop ({@code request}) through the retry step with the hop's token, answering a 401 once. */
  Response proceed(Interceptor.Chain chain, CallState state, Request request) throws IOException {
    String audience = calls.audience(request.url(), state.tlsOrigin);
    if (audience == null || !state.firstOriginOfHost(request.url())) {
      state.clearGrant();
      return next.proceed(chain, state, request);
    }
    String host = request.url().host();
    // Traced, the first attempt asks for the token itself, inside its span: a fetch is the child of the attempt
    // that needed it. Otherwise here, so that a call without a token opens no connection.
    boolean atTheWire = calls.tracing != null && calls.tracing.traced();
    state.grant(request.url(), audience, atTheWire ? null : calls.token(host, audience, null));
    Response response = next.proceed(chain, state, request);
    Token sent = state.sentToken();
    if (response.code() != 401 || !calls.retries || sent == null) {
      return response;
    }
    Token renewed = authenticate(host, audience, sent, request, response);
    if (renewed == null) {
      return response;
    }
    response.close();
    state.grant(request.url(), audience, renewed);
    return next.proceed(chain, state, request);
  }

  /**
   * The token to try once more with after a 401, or null to hand the 401 to the caller: the provider returns
   * the rejected token itself when a new one cannot help (a refresh forced moments ago, or the metadata server
   * is down), and a one-shot body cannot be written twice.
   */
  private Token authenticate(String host, String audience, Token rejected, Request request, Response response)
      throws IOException {
    RequestBody body = request.body();
    if (body != null && body.isOneShot()) {
      return null;
    }
    if (response.priorResponse() != null && response.priorResponse().code() == 401) {
      return null;
    }
    Token renewed;
    try {
      renewed = calls.token(host, audience, rejected);
    } catch (IOException e) {
      response.close();
      throw e;
    }
    if (renewed.equals(rejected)) {
      if (log.isDebugEnabled()) {
        log.debug("{} answered 401 and no newer ID token for audience {} is available; not retrying",
            request.url().redact(), audience);
      }
      return null;
    }
    if (log.isDebugEnabled()) {
      log.debug("{} answered 401; retrying once with a refreshed ID token for audience {}",
          request.url().redact(), audience);
    }
    return renewed;
  }
}
