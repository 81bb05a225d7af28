package dev.privateegress;

/**
 * Whether egress detection may read the platform's admin API ({@code PRIVATE_EGRESS_LOOKUP}). {@link
 * #toString()} returns the stable id.
 */
public enum LookupMode {
  /** Read the Cloud Run, App Engine or Cloud Functions admin API with the runtime's own token (default). */
  ADMIN_API("admin-api"),
  /** Never call the admin API: detection relies on configuration, probes and the platform. */
  OFF("off");

  private final String id;

  LookupMode(String id) {
    this.id = id;
  }

  /** The stable lower-case id, as written in {@code PRIVATE_EGRESS_LOOKUP}. */
  public String id() {
    return id;
  }

  @Override
  public String toString() {
    return id;
  }
}
