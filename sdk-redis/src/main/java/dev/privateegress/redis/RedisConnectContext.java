package dev.privateegress.redis;

import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.SenderContext;

/**
 * A new connection to Redis: connect, TLS, {@code AUTH} (never its arguments) and the set-up commands Jedis sends
 * on it. An IAM connection's access-token fetch, on a cache miss, is its child.
 */
public class RedisConnectContext extends SenderContext<Object> {
  private final String host;
  private final int port;
  private final String auth;

  /**
   * @param auth how the connection authenticates: {@code iam}, {@code password} or {@code none}
   */
  public RedisConnectContext(String host, int port, String auth) {
    super((carrier, key, value) -> { }, Kind.CLIENT);
    this.host = host;
    this.port = port;
    this.auth = auth;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public String auth() {
    return auth;
  }
}
