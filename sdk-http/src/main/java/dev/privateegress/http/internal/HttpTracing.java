package dev.privateegress.http.internal;

import dev.privateegress.PrivateEgress;
import dev.privateegress.http.DefaultHttpAttemptObservationConvention;
import dev.privateegress.http.HttpAttemptContext;
import dev.privateegress.internal.TokenTracing;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * One observation per attempt on the wire, made in the network interceptor so that every re-send is its own
 * CLIENT span and sends its own {@code traceparent}. Its parent is the caller's current observation (RestClient's
 * {@code http.client.requests}, or whatever the caller has open). Loaded only when the egress has an
 * {@code ObservationRegistry}; a no-op registry costs one check per attempt.
 */
final class HttpTracing {
  private final ObservationRegistry registry;
  /** Token fetches are traced too: then an attempt can say whether its token came from the cache. */
  private final boolean tokens;

  private HttpTracing(ObservationRegistry registry, boolean tokens) {
    this.registry = registry;
    this.tokens = tokens;
  }

  /** The tracing of {@code egress}'s clients; call only when it has a registry (else this class never loads). */
  static HttpTracing create(PrivateEgress egress) {
    return new HttpTracing((ObservationRegistry) egress.observationRegistry().orElseThrow(),
        egress.config().traces("tokens"));
  }

  /** Sends {@code request} as {@link WireInterceptor#send} does, inside an observation of this attempt. */
  Response send(Interceptor.Chain chain, CallState state, Request request, boolean withGrant) throws IOException {
    if (registry.isNoop()) {
      return WireInterceptor.send(chain, state, request, withGrant);
    }
    HttpAttemptContext context = context(state, request, withGrant);
    Observation observation = Observation.createNotStarted(null, DefaultHttpAttemptObservationConvention.INSTANCE,
        () -> context, registry).start();
    // The handler's propagator has written this attempt's traceparent on the carrier.
    Request traced = context.getCarrier().build();
    context.setCarrier(null);
    try {
      Response response = WireInterceptor.send(chain, state, traced, withGrant);
      context.setResponse(response);
      return response;
    } catch (IOException | RuntimeException e) {
      observation.error(e);
      throw e;
    } finally {
      observation.stop();
      state.attemptEndedNanos = System.nanoTime();
    }
  }

  /**
   * An attempt that failed before it reached the network interceptor (no connection could be made: OkHttp
   * connects before the network interceptors run) still is an attempt: it gets its span here, at the failure.
   */
  void failedBeforeWire(CallState state, Request request, long attemptBegan, IOException failure) {
    if (registry.isNoop() || state.attemptEndedNanos - attemptBegan > 0) {
      return; // a traced attempt ended after this one began: it was seen at the wire
    }
    HttpAttemptContext context = context(state, request, state.grantValue != null);
    Observation observation = Observation.createNotStarted(null, DefaultHttpAttemptObservationConvention.INSTANCE,
        () -> context, registry).start();
    observation.error(failure);
    observation.stop();
    state.attemptEndedNanos = System.nanoTime();
  }

  private HttpAttemptContext context(CallState state, Request request, boolean withGrant) {
    int resends = state.attempts;
    String token = withGrant && tokens ? (TokenTracing.takeFetched() ? "fetched" : "cached") : null;
    return new HttpAttemptContext(request, resends, resends > 0 ? state.lastOutcome : null,
        resends > 0 ? (System.nanoTime() - state.attemptEndedNanos) / 1_000_000 : -1, token);
  }
}
