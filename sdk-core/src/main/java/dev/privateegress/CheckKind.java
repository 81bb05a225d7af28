package dev.privateegress;

/** The kind of a diagnostic check; {@link #toString()} is the id used in doctor's JSON. */
public enum CheckKind {
  DNS("dns"),
  TCP("tcp"),
  TLS("tls"),
  TOKEN("token"),
  HTTP("http"),
  REDIS("redis"),
  /** The address public traffic leaves from, seen by {@code PRIVATE_EGRESS_IP_ECHO}, against {@code PRIVATE_EGRESS_STATIC_IP}. */
  EGRESS_IP("egress-ip");

  private final String id;

  CheckKind(String id) {
    this.id = id;
  }

  /** The stable lower-case id of this check kind, as used in configuration, JSON and logs. */
  public String id() {
    return id;
  }

  @Override
  public String toString() {
    return id;
  }
}
