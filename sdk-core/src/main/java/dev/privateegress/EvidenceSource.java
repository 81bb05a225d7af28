package dev.privateegress;

/** Where a piece of egress evidence came from, strongest first. */
public enum EvidenceSource {
  CONFIG("config"),
  ADMIN_API("admin-api"),
  PROBE("probe"),
  PLATFORM("platform");

  private final String id;

  EvidenceSource(String id) {
    this.id = id;
  }

  /** The stable lower-case id of this evidence source, as used in configuration, JSON and logs. */
  public String id() {
    return id;
  }

  @Override
  public String toString() {
    return id;
  }
}
