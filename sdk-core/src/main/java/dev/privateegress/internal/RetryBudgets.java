package dev.privateegress.internal;

import dev.privateegress.RetryBudget;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One {@link RetryBudget} per target (an HTTP {@code host:port}, a Redis endpoint or cluster), as Envoy
 * keeps one per upstream cluster and gRPC one per channel, so an outage of one target never spends the
 * retries of another.
 *
 * <p>The map is bounded: a service that talks to more than {@link #MAX_TARGETS} distinct targets shares
 * one overflow budget among the rest, so retries stay bounded in total while memory does not grow with
 * every host name a caller invents.
 */
public final class RetryBudgets {
  /** Distinct targets that get a budget of their own. */
  public static final int MAX_TARGETS = 256;

  private final Supplier<RetryBudget> factory;
  private final RetryBudget shared;
  private final ConcurrentHashMap<String, RetryBudget> byTarget = new ConcurrentHashMap<>();
  private final RetryBudget overflow;

  private RetryBudgets(Supplier<RetryBudget> factory, RetryBudget shared) {
    this.factory = factory;
    this.shared = shared;
    this.overflow = shared != null ? shared : Objects.requireNonNull(factory.get(), "budget factory returned null");
  }

  /** A fresh budget from {@code factory} for each target. */
  public static RetryBudgets perTarget(Supplier<RetryBudget> factory) {
    return new RetryBudgets(Objects.requireNonNull(factory, "factory"), null);
  }

  /** The same budget for every target (tests, or callers that want one process-wide cap). */
  public static RetryBudgets shared(RetryBudget budget) {
    return new RetryBudgets(null, Objects.requireNonNull(budget, "budget"));
  }

  /** The budget of {@code target}; created on first use. */
  public RetryBudget forTarget(String target) {
    if (shared != null) {
      return shared;
    }
    RetryBudget b = byTarget.get(target);
    if (b != null) {
      return b;
    }
    if (byTarget.size() >= MAX_TARGETS) {
      return overflow;
    }
    return byTarget.computeIfAbsent(target, t -> Objects.requireNonNull(factory.get(), "budget factory returned null"));
  }
}
