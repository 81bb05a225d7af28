package dev.privateegress.http.internal;

import java.io.IOException;
import java.util.Locale;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Last line of defence, as a network interceptor: a token header injected for one host is removed from any
 * request to another host, and a token injected into an https request is removed from any plain-http
 * request, whatever follows redirects below the application interceptor (for example if someone turns
 * OkHttp's own redirect following back on after configuring the client).
 */
public final class TokenGuard implements Interceptor {
  /**
   * Tag on a request that carries an injected token: the host it was minted for, the header used, and
   * whether it was injected into an https request.
   */
  record Grant(String host, String header, boolean tls) {}

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    Grant grant = request.tag(Grant.class);
    if (grant != null && (!grant.host().equals(request.url().host().toLowerCase(Locale.ROOT))
        || grant.tls() && !request.isHttps())) {
      request = request.newBuilder().removeHeader(grant.header()).tag(Grant.class, null).build();
    }
    return chain.proceed(request);
  }
}
