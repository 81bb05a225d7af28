package dev.privateegress.spring.internal;

/**
 * Spring Data Redis is configured for a Redis topology the SDK does not connect to (Sentinel, static
 * master/replica), and the SDK's own variables name no Redis: the SDK would otherwise take nothing from it and
 * leave Spring Data Redis without its IAM auth and TLS, unsaid. Names the setting; holds no secret.
 */
public final class RedisTopologyException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  private final String setting;

  /**
   * @param topology e.g. {@code Redis Sentinel}
   * @param setting where it is configured, e.g. {@code spring.data.redis.sentinel.master=mymaster}
   */
  public RedisTopologyException(String topology, String setting) {
    super("Spring Data Redis is configured for " + topology + " (" + setting + "), which the Private Egress SDK does "
        + "not connect to: it connects to a standalone Redis (Memorystore for Redis) or a Redis Cluster "
        + "(Memorystore for Redis Cluster / Valkey), and would leave this Redis without its IAM auth and TLS.");
    this.setting = setting;
  }

  /** Where the topology is configured: the property, or the connection details bean's type. */
  public String setting() {
    return setting;
  }
}
