package dev.privateegress.redis.internal;

import dev.privateegress.RedisSettings;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where and how to connect: the configured host, the address actually dialled (after {@code
 * PRIVATE_EGRESS_HOSTS}), and the security settings, for messages and hints. Holds no secret.
 *
 * @param host the host as configured
 * @param connectHost the host or IP literal handed to Jedis
 * @param port the port
 * @param tls whether TLS is used
 * @param caFile the CA bundle, if any
 * @param iam whether IAM auth is used
 * @param user the ACL user, if any
 * @param hasPassword whether a password (AUTH string) is configured
 */
public record Endpoint(String host, String connectHost, int port, boolean tls, Optional<Path> caFile, boolean iam,
    Optional<String> user, boolean hasPassword) {

  /** The endpoint for the configured target, dialling the first {@code PRIVATE_EGRESS_HOSTS} address if mapped. */
  public static Endpoint of(RedisSettings s, Map<String, List<InetAddress>> overrides) {
    List<InetAddress> o = overrides.get(s.host().toLowerCase(java.util.Locale.ROOT));
    String connect = o == null || o.isEmpty() ? s.host() : o.get(0).getHostAddress();
    return new Endpoint(s.host(), connect, s.port(), s.tls(), s.caFile(), s.iamAuth(), s.username(),
        s.password().isPresent());
  }

  /** {@code redis 10.0.0.3:6379} (or {@code rediss ...}), for listener events and messages. */
  public String label() {
    return (tls ? "rediss " : "redis ") + host + ":" + port
        + (connectHost.equals(host) ? "" : " (via " + connectHost + ")");
  }
}
