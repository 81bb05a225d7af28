package dev.privateegress;

/**
 * How traffic leaves the runtime for the VPC. {@link #toString()} returns the stable id.
 *
 * <p>{@code direct-vpc}, {@code connector} and {@code none} can be declared with {@code
 * PRIVATE_EGRESS_MODE}; {@code vpc} (some VPC egress, kind unknown, proven by a probe) and {@code
 * unknown} only come out of detection.
 */
public enum EgressMode {
  DIRECT_VPC("direct-vpc"),
  CONNECTOR("connector"),
  VPC("vpc"),
  NONE("none"),
  UNKNOWN("unknown");

  private final String id;

  EgressMode(String id) {
    this.id = id;
  }

  /** The stable lower-case id of this mode, as used in configuration, JSON and logs. */
  public String id() {
    return id;
  }

  /** True when traffic to private addresses is known to enter a VPC. */
  public boolean reachesVpc() {
    return this == DIRECT_VPC || this == CONNECTOR || this == VPC;
  }

  @Override
  public String toString() {
    return id;
  }
}
