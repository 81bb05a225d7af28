package dev.privateegress.spring;

import dev.privateegress.EgressInfo;
import dev.privateegress.PrivateEgress;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The {@code private.egress.info} meter: value 1, tagged with the platform, egress mode and scope known
 * <em>now</em>. Micrometer's tags are fixed per meter, so the meter is one row of a {@link MultiGauge} that is
 * re-registered when the verdict changes (the admin-API answer arrives, a probe proves VPC egress, a cached
 * verdict expires): when a registry reads the row and finds its tags stale, the row reads {@code NaN} once
 * and is replaced, so the next read shows exactly one row, with the new tags. Reading the verdict does no
 * I/O ({@link PrivateEgress#knownEgress()}).
 */
final class PrivateEgressInfoMeter implements MeterBinder {
  private final Supplier<Tags> tags;
  private volatile MultiGauge gauge;

  /** The info meter of {@code egress}. */
  PrivateEgressInfoMeter(PrivateEgress egress) {
    this(() -> tagsOf(egress.platform().id(), egress.knownEgress()));
  }

  /** The info meter whose tags {@code tags} computes on each read, without I/O. */
  PrivateEgressInfoMeter(Supplier<Tags> tags) {
    this.tags = Objects.requireNonNull(tags, "tags");
  }

  static Tags tagsOf(String platform, EgressInfo known) {
    return Tags.of("platform", platform, "mode", known.mode().id(), "scope", known.scope().id());
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    gauge = MultiGauge.builder("private.egress.info")
        .description("Where the application runs and how its traffic reaches the VPC, as known now")
        .register(registry);
    refresh(tags.get());
  }

  private synchronized void refresh(Tags now) {
    // overwrite=true removes the previous row from the registry: one info row at a time.
    gauge.register(List.of(MultiGauge.Row.of(now, () -> value(now))), true);
  }

  private double value(Tags rowTags) {
    Tags now = tags.get();
    if (now.equals(rowTags)) {
      return 1;
    }
    refresh(now);
    return Double.NaN; // this row is stale and already gone from the registry
  }
}
