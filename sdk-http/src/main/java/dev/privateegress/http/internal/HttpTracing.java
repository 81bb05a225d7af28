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
  private static final Observation.Event BUDGET_REFUSED = Observation.Event.of("private_egress.retry_budget_refused");
  private final ObservationRegistry registry;
  /**
   * This thread's last traced attempt: its call and when it ended (the wait before the next one). Kept here, not
   * in the call's state, so that a call costs not one byte more when tracing is off.
   */
  private final ThreadLocal<Last> last = ThreadLocal.withInitial(Last::new);
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

  /** Attempts make spans: the registry has handlers now (a no-op registry makes none). */
  boolean traced() {
    return !registry.isNoop();
  }

  /**
   * Sends {@code request} as {@link WireInterceptor#send} does, inside an observation of this attempt; with
   * {@code granted}, the hop's token for this attempt is looked up inside it (a fetch is then its child).
   */
  Response send(Interceptor.Chain chain, CallState state, Request request, boolean granted) throws IOException {
    if (registry.isNoop()) {
      return WireInterceptor.send(chain, state, request, granted ? state.grantForAttempt() : null);
    }
    HttpAttemptContext context = context(state, request);
    Observation observation = Observation.createNotStarted(null, DefaultHttpAttemptObservationConvention.INSTANCE,
        () -> context, registry).start();
    // The handler's propagator has written this attempt's traceparent on the carrier.
    Request traced = context.getCarrier().build();
    context.setCarrier(null);
    try (Observation.Scope scope = observation.openScope()) {
      String token = granted ? state.grantForAttempt() : null;
      if (token != null && tokens) {
        context.token(TokenTracing.takeFetched() ? "fetched" : "cached");
      }
      Response response = WireInterceptor.send(chain, state, traced, token);
      context.setResponse(response);
      return response;
    } catch (IOException | RuntimeException e) {
      observation.error(e);
      throw e;
    } finally {
      observation.stop();
      last.get().ended(state);
    }
  }

  /**
   * An attempt that failed before it reached the network interceptor (no connection could be made: OkHttp
   * connects before the network interceptors run) still is an attempt: it gets its span here, at the failure.
   */
  void failedBeforeWire(CallState state, Request request, long attemptBegan, IOException failure) {
    Last l = last.get();
    if (registry.isNoop() || l.call == System.identityHashCode(state) && l.endedNanos - attemptBegan > 0) {
      return; // a traced attempt of this call ended after this one began: it was seen at the wire
    }
    HttpAttemptContext context = context(state, request);
    Observation observation = Observation.createNotStarted(null, DefaultHttpAttemptObservationConvention.INSTANCE,
        () -> context, registry).start();
    observation.error(failure);
    observation.stop();
    l.ended(state);
  }

  /**
   * The retry budget refused a retry. The attempt's span has ended by then, so the refusal is an event on the
   * caller's current observation (RestClient's call span, or the caller's own), when there is one.
   */
  void budgetRefused() {
    Observation current = registry.getCurrentObservation();
    if (current != null) {
      current.event(BUDGET_REFUSED);
    }
  }

  private HttpAttemptContext context(CallState state, Request request) {
    int resends = state.attempts;
    Last l = last.get();
    long wait = resends > 0 && l.call == System.identityHashCode(state)
        ? (System.nanoTime() - l.endedNanos) / 1_000_000 : -1;
    return new HttpAttemptContext(request, resends, resends > 0 ? state.lastOutcome : null, wait);
  }

  /** One thread's last traced attempt: its call (by identity hash, so no call is kept reachable) and end. */
  private static final class Last {
    int call;
    long endedNanos;

    void ended(CallState state) {
      call = System.identityHashCode(state);
      endedNanos = System.nanoTime();
    }
  }
}
