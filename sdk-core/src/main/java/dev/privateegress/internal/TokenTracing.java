package dev.privateegress.internal;

import dev.privateegress.observation.DefaultTokenFetchObservationConvention;
import dev.privateegress.observation.TokenFetchContext;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.net.URI;

/**
 * Wraps a token cache's fetcher in an observation: the cache calls it on a miss only, so a hit makes no span.
 * Loaded only when an {@code ObservationRegistry} was given.
 */
public final class TokenTracing {
  static final String ID = "id";
  static final String ACCESS = "access";

  /** Set when this thread fetched a token; read and cleared by the HTTP attempt that follows. */
  private static final ThreadLocal<Boolean> FETCHED = new ThreadLocal<>();

  private TokenTracing() {}

  static TokenCache.Fetcher traced(Object registry, String kind, TokenCache.Fetcher fetcher) {
    ObservationRegistry r = (ObservationRegistry) registry;
    return (key, attempts) -> {
      Observation o = Observation.createNotStarted(null, DefaultTokenFetchObservationConvention.INSTANCE,
          () -> new TokenFetchContext(kind, kind.equals(ID) ? host(key) : ""), r).start();
      try (Observation.Scope scope = o.openScope()) {
        return fetcher.fetch(key, attempts);
      } catch (RuntimeException e) {
        o.error(e);
        throw e;
      } finally {
        o.stop();
        FETCHED.set(Boolean.TRUE);
      }
    };
  }

  /** True once after this thread fetched a token (a cache miss), so an attempt can tell a miss from a hit. */
  public static boolean takeFetched() {
    if (FETCHED.get() == Boolean.TRUE) {
      FETCHED.set(Boolean.FALSE);
      return true;
    }
    return false;
  }

  /** The audience's host; an audience that is not a URL (a custom one) is not shown at all. */
  static String host(String audience) {
    try {
      String h = URI.create(audience).getHost();
      return h == null ? "" : h;
    } catch (IllegalArgumentException e) {
      return "";
    }
  }
}
