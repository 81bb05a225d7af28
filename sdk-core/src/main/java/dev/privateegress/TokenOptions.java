package dev.privateegress;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;

/**
 * How {@link PrivateEgress#tokens()} caches, refreshes and fetches tokens. {@link #defaults()} suits
 * Cloud Run, Cloud Functions and App Engine; change it with the {@code with...} methods and pass it to
 * {@link PrivateEgressBuilder#tokenOptions(TokenOptions)}.
 *
 * <p>A cached token is <em>fresh</em> while more than {@link #refreshMargin()} remains before its
 * {@code exp}; <em>stale</em> after that (it is still served, and the first caller to notice refreshes it
 * on its own thread while everyone else keeps using it); <em>expired</em> once less than {@link
 * #expirySkew()} remains (callers then wait for the one refresh in flight).
 *
 * @param refreshMargin when a token becomes stale; default 3m45s, just under the ~4 minutes before expiry
 *     at which serverless metadata servers start handing out a new token
 * @param expirySkew how long before {@code exp} a token stops being used, for clock skew and transit;
 *     default 10 s
 * @param maxAttempts attempts per fetch of an expired (or missing) token; default 4
 * @param initialBackoff first backoff between attempts (full jitter, doubling); default 200 ms
 * @param maxBackoff cap of a single backoff; default 2 s
 * @param deadline bounds one fetch including every attempt and backoff, and how long a caller waits for
 *     a refresh run by another thread; default 10 s
 * @param staleRetryInterval after a failed refresh of a still-valid token, how long (on the instance's
 *     clock) the cached token is served before the next refresh attempt; also the least time between two
 *     refreshes forced by servers rejecting a token ({@link TokenProvider#refreshIdToken}); default 5 s
 * @param idTokenFormat when to ask for full ID tokens, which carry the {@code email} claim IAP needs
 * @param fullFormatAudiences audiences that always get full tokens, whatever {@code idTokenFormat} says
 * @param refreshAhead null (default) to refresh on the calling thread only; an executor to refresh
 *     stale tokens in the background and ahead of time, for instances with always-on CPU (on Cloud Run
 *     with CPU allocated only during requests, background work is throttled and can stall)
 */
public record TokenOptions(
    Duration refreshMargin,
    Duration expirySkew,
    int maxAttempts,
    Duration initialBackoff,
    Duration maxBackoff,
    Duration deadline,
    Duration staleRetryInterval,
    IdTokenFormat idTokenFormat,
    Set<String> fullFormatAudiences,
    ScheduledExecutorService refreshAhead) {

  /** Which ID token format to request from the metadata server (and impersonation). */
  public enum IdTokenFormat {
    /**
     * Full tokens for audiences that look like IAP's (an OAuth client id ending in {@code
     * .apps.googleusercontent.com}, or {@code /projects/...} backend-service and App Engine audiences),
     * standard tokens otherwise. The default.
     */
    AUTO,
    /** Always {@code format=standard} (no {@code email} claim), except {@link #fullFormatAudiences()}. */
    STANDARD,
    /** Always {@code format=full}. */
    FULL
  }

  /** Defaults: 3m45s refresh margin, 10 s skew, 4 attempts, 200 ms..2 s backoff, 10 s deadline. */
  public static TokenOptions defaults() {
    return new TokenOptions(Duration.ofSeconds(225), Duration.ofSeconds(10), 4, Duration.ofMillis(200),
        Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(5), IdTokenFormat.AUTO, Set.of(), null);
  }

  public TokenOptions {
    requirePositive(refreshMargin, "refreshMargin");
    Objects.requireNonNull(expirySkew, "expirySkew");
    requirePositive(deadline, "deadline");
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    Objects.requireNonNull(staleRetryInterval, "staleRetryInterval");
    Objects.requireNonNull(idTokenFormat, "idTokenFormat");
    fullFormatAudiences = Set.copyOf(Objects.requireNonNull(fullFormatAudiences, "fullFormatAudiences"));
    if (expirySkew.isNegative() || expirySkew.compareTo(refreshMargin) >= 0) {
      throw new IllegalArgumentException("need 0 <= expirySkew < refreshMargin, was " + expirySkew
          + " and " + refreshMargin);
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1, was " + maxAttempts);
    }
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("need 0 <= initialBackoff <= maxBackoff, was " + initialBackoff
          + " and " + maxBackoff);
    }
    if (staleRetryInterval.isNegative()) {
      throw new IllegalArgumentException("staleRetryInterval must not be negative, was " + staleRetryInterval);
    }
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + d);
    }
  }

  /** Whether an ID token for {@code audience} is requested with {@code format=full}. */
  public boolean fullFormat(String audience) {
    if (fullFormatAudiences.contains(audience)) {
      return true;
    }
    return switch (idTokenFormat) {
      case FULL -> true;
      case STANDARD -> false;
      case AUTO -> looksLikeIap(audience);
    };
  }

  private static boolean looksLikeIap(String audience) {
    String a = audience.toLowerCase(Locale.ROOT);
    return a.endsWith(".apps.googleusercontent.com") || a.startsWith("/projects/");
  }

  /** A copy that refreshes when less than {@code margin} is left and treats less than {@code skew} as expired. */
  public TokenOptions withRefreshMargin(Duration margin, Duration skew) {
    return new TokenOptions(margin, skew, maxAttempts, initialBackoff, maxBackoff, deadline,
        staleRetryInterval, idTokenFormat, fullFormatAudiences, refreshAhead);
  }

  /** A copy whose fetches make up to {@code attempts} attempts with backoff from {@code initial} to {@code max}, all within {@code deadline}. */
  public TokenOptions withRetries(int attempts, Duration initial, Duration max, Duration deadline) {
    return new TokenOptions(refreshMargin, expirySkew, attempts, initial, max, deadline,
        staleRetryInterval, idTokenFormat, fullFormatAudiences, refreshAhead);
  }

  /** A copy that waits {@code interval} after a failed refresh of a still-valid token before trying again. */
  public TokenOptions withStaleRetryInterval(Duration interval) {
    return new TokenOptions(refreshMargin, expirySkew, maxAttempts, initialBackoff, maxBackoff, deadline,
        interval, idTokenFormat, fullFormatAudiences, refreshAhead);
  }

  /** A copy that asks for ID tokens in {@code format} ({@code AUTO}, {@code STANDARD} or {@code FULL}). */
  public TokenOptions withIdTokenFormat(IdTokenFormat format) {
    return new TokenOptions(refreshMargin, expirySkew, maxAttempts, initialBackoff, maxBackoff, deadline,
        staleRetryInterval, format, fullFormatAudiences, refreshAhead);
  }

  /** Audiences that need the {@code email} claim (e.g. IAP with a custom audience). */
  public TokenOptions withFullFormatAudiences(Set<String> audiences) {
    return new TokenOptions(refreshMargin, expirySkew, maxAttempts, initialBackoff, maxBackoff, deadline,
        staleRetryInterval, idTokenFormat, audiences, refreshAhead);
  }

  /**
   * Opt-in background refresh on {@code executor} (owned and shut down by the caller): stale tokens are
   * refreshed there instead of on the calling thread, and each token that was used since its last fetch
   * is refreshed again when it turns stale. Use it only where CPU is always allocated.
   */
  public TokenOptions withRefreshAhead(ScheduledExecutorService executor) {
    return new TokenOptions(refreshMargin, expirySkew, maxAttempts, initialBackoff, maxBackoff, deadline,
        staleRetryInterval, idTokenFormat, fullFormatAudiences, executor);
  }
}
