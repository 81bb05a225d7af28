package dev.privateegress.internal;

import dev.privateegress.Token;
import dev.privateegress.TokenException;
import dev.privateegress.TokenOptions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tokens cached per key (an audience, or the access-token key) with three states and single-flight
 * refresh.
 *
 * <ul>
 *   <li>{@link State#FRESH}: served without locking.
 *   <li>{@link State#STALE} (less than {@code refreshMargin} left): the first caller to notice runs one
 *       fetch attempt on its own thread (or hands it to the refresh-ahead executor); every other caller
 *       keeps getting the still-valid token at once. A failed attempt is logged and the cached token is
 *       served for {@code staleRetryInterval} before the next attempt.
 *   <li>{@link State#EXPIRED} (less than {@code expirySkew} left, or nothing cached): one caller fetches
 *       with the full retry policy; the others wait for that same fetch, at most the deadline.
 * </ul>
 *
 * A token that arrives already {@link State#EXPIRED} (a clock off on either side) is never cached nor handed
 * to a waiter; callers fail, and the source is asked again only after {@code staleRetryInterval}.
 *
 * Staleness is judged on the injected {@link Clock} against the token's own expiry. A lookup of a fresh
 * token allocates nothing: the instant a token turns stale is kept with it in epoch milliseconds.
 *
 * <p>At most {@link #MAX_KEYS} keys are cached: adding one more first drops the keys whose tokens have
 * expired, then, if still full, one key at random (fetched again when next used), so a caller inventing
 * audiences cannot grow memory without bound and one audience too many costs few fetches (see {@link #evict}).
 */
final class TokenCache {
  private static final Logger log = LoggerFactory.getLogger(TokenCache.class);

  enum State { FRESH, STALE, EXPIRED }

  /** Most keys (audiences) cached at once. */
  static final int MAX_KEYS = 256;

  /** Fetches a new token for {@code key} with at most {@code maxAttempts} attempts. Must not return null. */
  interface Fetcher {
    Token fetch(String key, int maxAttempts);
  }

  private final Clock clock;
  private final TokenOptions options;
  private final String label;
  private final Fetcher fetcher;
  private final Map<String, Slot> slots = new ConcurrentHashMap<>();

  /**
   * @param label names a key in log lines and messages, e.g. {@code "ID token for "} + key
   */
  TokenCache(Clock clock, TokenOptions options, String label, Fetcher fetcher) {
    this.clock = clock;
    this.options = options;
    this.label = label;
    this.fetcher = fetcher;
  }

  private record Fresh(Token token, long until) {}

  private static final class Slot {
    final String key;
    /** For log lines and messages: what this slot holds. */
    final String name;
    volatile Token token;
    /** {@link #token} with the epoch millis until which it is fresh, read in one volatile load. */
    volatile Fresh fresh;
    /** Set on every read; cleared by each refresh-ahead fetch, so unused keys stop being refreshed. */
    volatile boolean used;
    // Guarded by this.
    CompletableFuture<Token> inFlight;
    Instant quietUntil;
    /** When a server's rejection last forced a refresh. */
    Instant forcedAt;
    /**
     * Why the last fetch failed when the source answered an already expired token, until {@link #quietUntil}:
     * callers fail with it at once instead of fetching again on every call.
     */
    String expiredOnArrival;

    synchronized boolean inFlightIsNull() {
      return inFlight == null;
    }

    Slot(String key, String name) {
      this.key = key;
      this.name = name;
    }

    /** Stores {@code t}; caller holds the lock. */
    void store(Token t, TokenOptions options) {
      token = t;
      fresh = new Fresh(t, t.expiresAt().minus(options.refreshMargin()).toEpochMilli());
    }
  }

  State state(Token t, Instant now) {
    if (t == null) {
      return State.EXPIRED;
    }
    Duration left = t.remaining(now);
    if (left.compareTo(options.expirySkew()) <= 0) {
      return State.EXPIRED;
    }
    return left.compareTo(options.refreshMargin()) < 0 ? State.STALE : State.FRESH;
  }

  /** The cached token for {@code key}, refreshed as its state requires. */
  Token get(String key) {
    Slot s = slot(key);
    if (!s.used) {
      s.used = true; // written only when it changes: the fresh path stays free of shared writes
    }
    Fresh f = s.fresh;
    if (f != null && clock.millis() < f.until()) {
      return f.token();
    }
    return slow(s);
  }

  /**
   * A server rejected {@code rejected}. If it is still the cached token, one caller fetches a replacement
   * with a single attempt while concurrent reporters wait for that fetch; a newer token already cached is
   * returned as is. Two guards keep a persistent rejection (wrong audience, missing invoker role) from
   * turning every call into a metadata request or an outage for other callers: within {@code
   * staleRetryInterval} of the last forced refresh the rejected token is returned unchanged, and when the
   * fetch fails the rejected token, still valid, stays cached and is returned. Callers compare the result
   * with {@code rejected} to know whether a retry can help.
   */
  Token invalidate(String key, Token rejected) {
    Slot s = slot(key);
    CompletableFuture<Token> flight;
    Token t;
    boolean lead = false;
    synchronized (s) {
      t = s.token;
      Instant now = clock.instant();
      if (t == null || !t.equals(rejected) || state(t, now) == State.EXPIRED) {
        flight = null; // already replaced, or expired anyway: the ordinary path
      } else if (s.inFlight != null) {
        flight = s.inFlight;
      } else if (s.forcedAt != null && now.isBefore(s.forcedAt.plus(options.staleRetryInterval()))) {
        return t; // rejected again right after a forced refresh: another token will not help
      } else {
        s.forcedAt = now;
        flight = new CompletableFuture<>();
        s.inFlight = flight;
        lead = true;
      }
    }
    if (flight == null) {
      return get(key);
    }
    if (lead) {
      return refresh(s, flight, 1, t);
    }
    try {
      return await(s, flight);
    } catch (TokenException e) {
      if (state(t, clock.instant()) != State.EXPIRED) {
        return t; // the leader logged the failure; the rejected token is still the best there is
      }
      throw e;
    }
  }

  private Slot slot(String key) {
    Slot s = slots.get(key);
    if (s != null) {
      return s;
    }
    if (slots.size() >= MAX_KEYS) {
      evict();
    }
    return slots.computeIfAbsent(key, k -> new Slot(k, label + k));
  }

  /**
   * Makes room: drops the keys whose tokens expired, else one key picked at random. Not least-recently-used:
   * callers cycling through one audience more than the cache holds (257 for 256) would then evict exactly the
   * key needed next, every call a fetch; a random victim makes misses grow smoothly with the excess (about 1 %
   * of calls at 257 audiences, 28 % at 300, in round-robin).
   */
  private void evict() {
    Instant now = clock.instant();
    slots.values().removeIf(s -> s.inFlightIsNull() && state(s.token, now) == State.EXPIRED);
    int size = slots.size();
    if (size < MAX_KEYS) {
      return;
    }
    int skip = ThreadLocalRandom.current().nextInt(size);
    for (Slot s : slots.values()) {
      if (skip-- <= 0 && s.inFlightIsNull()) {
        slots.remove(s.key, s);
        return;
      }
    }
  }

  /** Number of keys cached, for tests. */
  int size() {
    return slots.size();
  }

  private Token slow(Slot s) {
    CompletableFuture<Token> flight;
    Token t;
    State st;
    boolean lead = false;
    synchronized (s) {
      // Re-read under the lock: another thread may have just stored a fresh token.
      t = s.token;
      Instant now = clock.instant();
      st = state(t, now);
      if (st == State.FRESH) {
        return t;
      }
      flight = s.inFlight;
      if (flight == null) {
        if (st == State.STALE && s.quietUntil != null && now.isBefore(s.quietUntil)) {
          return t;
        }
        if (st == State.EXPIRED && s.expiredOnArrival != null && now.isBefore(s.quietUntil)) {
          throw new TokenException(s.expiredOnArrival + "; next fetch after " + s.quietUntil);
        }
        flight = new CompletableFuture<>();
        s.inFlight = flight;
        lead = true;
      }
    }
    if (!lead) {
      return st == State.STALE ? t : await(s, flight);
    }
    if (st == State.STALE) {
      ScheduledExecutorService ahead = options.refreshAhead();
      if (ahead != null && submit(ahead, s, flight)) {
        return t;
      }
      return refresh(s, flight, 1, t);
    }
    return refresh(s, flight, options.maxAttempts(), null);
  }

  private boolean submit(ScheduledExecutorService ahead, Slot s, CompletableFuture<Token> flight) {
    try {
      ahead.execute(() -> refreshQuietly(s, flight));
      return true;
    } catch (RejectedExecutionException e) {
      log.debug("refresh-ahead executor rejected the refresh of the {}; refreshing on the caller", s.name);
      return false;
    }
  }

  private void refreshQuietly(Slot s, CompletableFuture<Token> flight) {
    try {
      refresh(s, flight, options.maxAttempts(), s.token);
    } catch (RuntimeException e) {
      // Handed to any waiter already; a background task has no caller of its own to tell.
      log.debug("background refresh of the {} failed: {}", s.name, e.getMessage());
    }
  }

  /**
   * Runs the fetch this thread leads. On failure with a still-usable {@code fallback}, logs and returns
   * the fallback; otherwise the failure goes to this caller and every waiter.
   */
  private Token refresh(Slot s, CompletableFuture<Token> flight, int attempts, Token fallback) {
    Token fresh;
    if (options.refreshAhead() != null) {
      s.used = false; // reads from now on count as use of the token being fetched
    }
    try {
      fresh = fetcher.fetch(s.key, attempts);
    } catch (RuntimeException | Error e) {
      Instant now = clock.instant();
      synchronized (s) {
        s.inFlight = null;
        s.quietUntil = now.plus(options.staleRetryInterval());
      }
      flight.completeExceptionally(e);
      if (fallback != null && state(fallback, now) != State.EXPIRED && fallback.equals(s.token)) {
        log.warn("refresh of the {} failed; serving the cached one ({} s left, next attempt in {} s): {}",
            s.name, fallback.remaining(now).getSeconds(), options.staleRetryInterval().getSeconds(), e.getMessage());
        return fallback;
      }
      throw e;
    }
    Instant now = clock.instant();
    State st = state(fresh, now);
    if (st == State.EXPIRED) {
      return expiredOnArrival(s, flight, fresh, fallback, now);
    }
    synchronized (s) {
      s.store(fresh, options);
      s.inFlight = null;
      s.expiredOnArrival = null;
      // A source that hands out a token already inside the refresh margin (serverless metadata servers
      // do, near the end of a token's life) must not be asked again on every call.
      s.quietUntil = st == State.FRESH ? null : now.plus(options.staleRetryInterval());
    }
    flight.complete(fresh);
    scheduleAhead(s, fresh, now);
    return fresh;
  }

  /**
   * The source answered a token already expired, or within {@code expirySkew} of it: a clock off on one side.
   * It is neither cached nor handed to anyone (waiters get the failure); fetches are paced by
   * {@code staleRetryInterval} while this goes on. A still-valid {@code fallback} (a stale refresh) keeps being
   * served.
   */
  private Token expiredOnArrival(Slot s, CompletableFuture<Token> flight, Token fresh, Token fallback,
      Instant now) {
    String why = "the token source returned an " + s.name + " that expires at " + fresh.expiresAt()
        + ", already within " + options.expirySkew() + " of this machine's time (" + now + "), so it was not "
        + "used: the clock of this machine or of the token source (the metadata server) is off (clock skew). "
        + "Check time synchronization on both sides";
    TokenException e = new TokenException(why);
    synchronized (s) {
      s.inFlight = null;
      s.quietUntil = now.plus(options.staleRetryInterval());
      s.expiredOnArrival = why;
    }
    flight.completeExceptionally(e);
    if (fallback != null && state(fallback, now) != State.EXPIRED && fallback.equals(s.token)) {
      log.warn("refresh of the {} failed; serving the cached one ({} s left, next attempt in {} s): {}",
          s.name, fallback.remaining(now).getSeconds(), options.staleRetryInterval().getSeconds(), why);
      return fallback;
    }
    throw e;
  }

  private void scheduleAhead(Slot s, Token fresh, Instant now) {
    ScheduledExecutorService ahead = options.refreshAhead();
    if (ahead == null) {
      return;
    }
    Duration untilStale = fresh.remaining(now).minus(options.refreshMargin());
    try {
      ahead.schedule(() -> {
        if (!s.used || s.token != fresh) {
          return; // unused since the last fetch, or already replaced: let callers drive it again
        }
        CompletableFuture<Token> flight;
        synchronized (s) {
          if (s.inFlight != null || s.token != fresh) {
            return;
          }
          flight = new CompletableFuture<>();
          s.inFlight = flight;
        }
        refreshQuietly(s, flight);
      }, Math.max(0, untilStale.toMillis()), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      log.debug("refresh-ahead executor rejected scheduling for the {}", s.name);
    }
  }

  private Token await(Slot s, CompletableFuture<Token> flight) {
    Duration wait = options.deadline().plusSeconds(1);
    try {
      return flight.get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TokenException("interrupted while waiting for the " + s.name, e);
    } catch (TimeoutException e) {
      throw new TokenException("waited " + wait + " for another thread's fetch of the " + s.name
          + " without result", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof TokenException te) {
        throw new TokenException(te.getMessage(), te);
      }
      throw new TokenException("fetching the " + s.name + " failed: " + c, c);
    }
  }
}
