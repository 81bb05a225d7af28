package dev.privateegress;

import java.util.List;
import java.util.Objects;

/**
 * The egress verdict: mode, scope, the strongest source that decided it, and every piece of
 * evidence considered (in the order it was gathered).
 */
public record EgressInfo(EgressMode mode, EgressScope scope, EvidenceSource source, List<Evidence> evidence) {
  public EgressInfo {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(source, "source");
    evidence = List.copyOf(evidence);
  }

  @Override
  public String toString() {
    return "egress mode=" + mode + " scope=" + scope + " source=" + source + " evidence=" + evidence;
  }
}
