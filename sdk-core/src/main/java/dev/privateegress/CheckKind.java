package dev.privateegress;

/** The kind of a diagnostic check; {@link #toString()} is the id used in doctor's JSON. */
public enum CheckKind {
  DNS("dns"),
  TCP("tcp"),
  TLS("tls"),
  TOKEN("token"),
  HTTP("http"),
  REDIS("redis");

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
