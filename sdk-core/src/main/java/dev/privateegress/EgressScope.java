package dev.privateegress;

/** Which traffic goes through the VPC: all of it, or only private ranges. */
public enum EgressScope {
  ALL_TRAFFIC("all-traffic"),
  PRIVATE_RANGES_ONLY("private-ranges-only"),
  UNKNOWN("unknown");

  private final String id;

  EgressScope(String id) {
    this.id = id;
  }

  /** The stable lower-case id of this scope, as used in configuration, JSON and logs. */
  public String id() {
    return id;
  }

  @Override
  public String toString() {
    return id;
  }
}
