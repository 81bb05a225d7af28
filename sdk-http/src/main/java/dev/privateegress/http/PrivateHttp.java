package dev.privateegress.http;

import dev.privateegress.PrivateEgress;
import dev.privateegress.http.internal.CallInterceptor;
import dev.privateegress.http.internal.HttpClients;
import io.github.resilience4j.retry.Retry;
import java.time.Duration;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;

/**
 * OkHttp clients for private endpoints.
 *
 * <pre>{@code
 * PrivateEgress egress = PrivateEgress.fromEnvironment();
 * OkHttpClient http = PrivateHttp.newClient(egress);   // create once, share
 * try (Response r = http.newCall(new Request.Builder().url("http://my.api.private/items").build()).execute()) {
 *   ...
 * }
 * }</pre>
 *
 * <p>A client made here:
 * <ul>
 *   <li>resolves names through {@code PRIVATE_EGRESS_HOSTS} first, then the system resolver; a name that does
 *       not resolve fails with an {@link java.net.UnknownHostException} that explains the likely cause, and a
 *       public address under egress {@code private-ranges-only} is warned about once per host;
 *   <li>adds a Google ID token ({@code Bearer}, in {@code PRIVATE_EGRESS_TOKEN_HEADER}) only to hosts in the
 *       audience map ({@code PRIVATE_EGRESS_AUDIENCES}, {@code *.suffix} entries) and, over https only, to
 *       {@code *.run.app}; puts it on the wire in a network interceptor, so no request or response the caller
 *       can reach shows it; follows redirects itself so no token header reaches another host, and a call that
 *       started on https never sends its token over plain http; a 401 from a token-bearing host
 *       forces one token refresh and one retry; a token that cannot be obtained fails the call with a
 *       {@link TokenUnavailableException};
 *   <li>retries connect failures, failures before the request was written, broken connections and HTTP
 *       429/502/503/504 with exponential backoff and full jitter, under one deadline per call
 *       ({@code RetryPolicy.deadline()}, or OkHttp's call timeout when shorter; it is set as the client's call
 *       timeout, so it also cuts off a server trickling its answer) that also caps {@code Retry-After}, and
 *       under the target's {@link dev.privateegress.RetryBudget} ({@code host:port}). Only GET, HEAD, OPTIONS,
 *       PUT, DELETE, requests with an {@code Idempotency-Key} header and requests tagged {@link Idempotent} are
 *       re-sent after they may have reached the server; any other request only when it provably was never
 *       written. It is the only layer that retries: OkHttp's own replays are off beneath it. Pooled
 *       connections the server closed are detected before anything is written on them and skipped;
 *   <li>throws {@code IOException}s that name the call, give the cause in words and the egress-aware advice;
 *   <li>pools at most 5 idle connections for 4 minutes (under the 10-minute idle limit of VPC connection
 *       tracking) and connects with a 5 s timeout unless another one was set.
 * </ul>
 */
public final class PrivateHttp {
  private PrivateHttp() {}

  /**
   * A new client with the SDK's settings. Clients are heavy: create one and share it. No network I/O.
   *
   * @param egress the configuration and token source
   * @return a client that resolves, authenticates and retries as described above
   */
  public static OkHttpClient newClient(PrivateEgress egress) {
    return HttpClients.configureFresh(egress, new OkHttpClient.Builder(), true).build();
  }

  /**
   * Adds the SDK's DNS, token injection, redirect handling, retries and connection pool to {@code builder}
   * and returns it. Settings made on the builder before are honoured (redirect following, DNS as the
   * fallback resolver, timeouts, event listeners, interceptors); the connection pool is replaced by a
   * serverless-sized one, so set your own pool after this call if you must share one. Calling it again on a
   * builder derived from an SDK client re-applies the settings without stacking them.
   *
   * @param egress the configuration and token source
   * @param builder the builder to complete; changed in place
   * @return {@code builder}
   */
  public static OkHttpClient.Builder configure(PrivateEgress egress, OkHttpClient.Builder builder) {
    return HttpClients.configure(egress, builder, true);
  }

  /**
   * Sets how long a pooled connection may sit idle before a call replaces it (4 minutes by default, under the
   * 10-minute idle timeout of VPC connection tracking): an older one is closed on the caller's thread when a call
   * picks it, before anything is written, and the request goes out on a new connection. Lower it when the path
   * to the server forgets idle flows sooner (a firewall, a proxy); set the pool's keep-alive
   * ({@code builder.connectionPool(...)}) to match if you want OkHttp's own cleanup to close them earlier too.
   * Kept by {@link #configure} on a builder derived from a client that has it.
   *
   * @param builder a builder completed by {@link #configure}, or {@code newBuilder()} of a client made here
   * @param limit positive
   * @return {@code builder}
   * @throws IllegalArgumentException when {@code limit} is not positive or the builder has no SDK settings
   */
  public static OkHttpClient.Builder idleLimit(OkHttpClient.Builder builder, Duration limit) {
    return HttpClients.idleLimit(builder, limit);
  }

  /**
   * Tags the request as safe to re-send even though its method is not idempotent (the server de-duplicates
   * it), so the client retries it like a GET.
   *
   * @param builder the request being built
   * @return {@code builder}, tagged with {@link Idempotent#INSTANCE}
   */
  public static Request.Builder idempotent(Request.Builder builder) {
    return builder.tag(Idempotent.class, Idempotent.INSTANCE);
  }

  /**
   * The resilience4j {@link Retry} of a client made by this class, e.g. for
   * {@code TaggedRetryMetrics.ofRetryRegistry(...)} from resilience4j-micrometer. It counts each logical call
   * once, redirect hops and the request after a 401 refresh included: succeeded when the call returns a
   * response below 500 other than 429, otherwise failed; "with retry" when the SDK retried it at least once,
   * whatever stopped it afterwards (attempts, deadline, budget). So 503, 503, 200 is one successful call with
   * retry, and a call retried until its attempts ran out is one failed call with retry.
   * {@code getNumberOfTotalCalls()} counts attempts. {@code context()} decorates other code as a standard
   * resilience4j Retry with the same configuration, counted in the same metrics.
   *
   * @param client a client made by {@link #newClient} or {@link #configure} (or derived from one)
   * @return the client's {@link Retry}, shared by every call of the client
   * @throws IllegalArgumentException when the client was not made by {@link #newClient} or {@link #configure}
   */
  public static Retry retry(OkHttpClient client) {
    for (Interceptor i : client.interceptors()) {
      if (i instanceof CallInterceptor e) {
        return e.retry();
      }
    }
    throw new IllegalArgumentException("this OkHttpClient was not made by PrivateHttp.newClient or "
        + "PrivateHttp.configure, so it has no SDK retry");
  }
}
