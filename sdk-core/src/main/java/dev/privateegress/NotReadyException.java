package dev.privateegress;

import java.util.List;

/** {@link PrivateEgress#awaitReady} ran out of time; {@link #lastResults()} holds what still failed. */
public final class NotReadyException extends PrivateEgressException {
  private static final long serialVersionUID = 1L;

  private final transient List<CheckResult> lastResults;

  /** Not ready, with what still failed in {@code message} and the last round's results. */
  public NotReadyException(String message, List<CheckResult> lastResults) {
    super(message);
    this.lastResults = List.copyOf(lastResults);
  }

  /** The checks of the last round, failed ones included. */
  public List<CheckResult> lastResults() {
    return lastResults;
  }
}
