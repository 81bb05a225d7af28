package dev.privateegress;

import java.util.Objects;

/**
 * One recorded fact behind an egress verdict, e.g. {@code admin-api: run.services.get denied (403);
 * grant roles/run.viewer to read the VPC settings}.
 */
public record Evidence(EvidenceSource source, String detail) {
  public Evidence {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(detail, "detail");
  }

  @Override
  public String toString() {
    return source.id() + ": " + detail;
  }
}
