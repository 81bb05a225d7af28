package dev.privateegress.redis.internal;

import dev.privateegress.RedisSettings;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Where and how to connect: the configured host, the address actually dialled (after {@code
 * PRIVATE_EGRESS_HOSTS}), and the security settings, for messages and hints. Holds no secret. Its two
 * names are built once: commands name their endpoint without building strings.
 */
public final class Endpoint {
  private final String host;
  private final String connectHost;
  private final int port;
  private final boolean tls;
  private final Optional<Path> caFile;
  private final boolean iam;
  private final Optional<String> user;
  private final boolean hasPassword;
  private final String target;
  private final String label;
  private final List<InetAddress> mapped;

  /**
   * @param host the host as configured
   * @param connectHost the host or IP literal handed to Jedis
   * @param port the port
   * @param tls whether TLS is used
   * @param caFile the CA bundle, if any
   * @param iam whether IAM auth is used
   * @param user the ACL user, if any
   * @param hasPassword whether a password (AUTH string) is configured
   */
  public Endpoint(String host, String connectHost, int port, boolean tls, Optional<Path> caFile, boolean iam,
      Optional<String> user, boolean hasPassword) {
    this(host, List.of(), connectHost, port, tls, caFile, iam, user, hasPassword);
  }

  private Endpoint(String host, List<InetAddress> mapped, String connectHost, int port, boolean tls,
      Optional<Path> caFile, boolean iam, Optional<String> user, boolean hasPassword) {
    this.mapped = List.copyOf(mapped);
    this.host = host;
    this.connectHost = connectHost;
    this.port = port;
    this.tls = tls;
    this.caFile = caFile;
    this.iam = iam;
    this.user = user;
    this.hasPassword = hasPassword;
    this.target = "redis " + host + ":" + port;
    this.label = (tls ? "rediss " : "redis ") + host + ":" + port
        + (mapped.size() > 1 ? " (via " + String.join(", ", mapped.stream().map(Endpoint::literal).toList()) + ")"
            : connectHost.equals(host) ? "" : " (via " + connectHost + ")");
  }

  /**
   * The endpoint for the configured target: every {@code PRIVATE_EGRESS_HOSTS} address of the host in
   * order when it is mapped ({@link #connectHost} is the first), else the host as configured.
   */
  public static Endpoint of(RedisSettings s, Map<String, List<InetAddress>> overrides) {
    List<InetAddress> o = overrides.getOrDefault(s.host().toLowerCase(Locale.ROOT), List.of());
    String connect = o.isEmpty() ? s.host() : o.get(0).getHostAddress();
    return new Endpoint(s.host(), o, connect, s.port(), s.tls(), s.caFile(), s.iamAuth(), s.username(),
        s.password().isPresent());
  }

  /**
   * The addresses to dial, in order: the mapped ones, else every address the resolver returns for the
   * host now (an IP literal is its own).
   *
   * @throws java.io.UncheckedIOException wrapping the {@link java.net.UnknownHostException} when the host
   *     does not resolve
   */
  public List<InetAddress> addresses() {
    return mapped.isEmpty() ? EndpointSocketFactory.resolve(connectHost) : mapped;
  }

  /** Whether the host is mapped by {@code PRIVATE_EGRESS_HOSTS}. */
  public boolean mapped() {
    return !mapped.isEmpty();
  }

  private static String literal(InetAddress a) {
    String h = a.getHostAddress();
    return h.indexOf(':') >= 0 ? "[" + h + "]" : h;
  }

  /**
   * {@code redis 10.0.0.3:6379}: the name of this target in listener events and of its retry budget (a
   * cluster's is its discovery endpoint's). Low cardinality, fit for a metric tag.
   */
  public String target() {
    return target;
  }

  /** {@code redis 10.0.0.3:6379} (or {@code rediss ...}, with {@code (via IP)} when mapped), for messages. */
  public String label() {
    return label;
  }

  /** The host as configured. */
  public String host() {
    return host;
  }

  /** The host or IP literal dialled. */
  public String connectHost() {
    return connectHost;
  }

  /** The port. */
  public int port() {
    return port;
  }

  /** Whether TLS is used. */
  public boolean tls() {
    return tls;
  }

  /** The CA bundle, if any. */
  public Optional<Path> caFile() {
    return caFile;
  }

  /** Whether IAM auth is used. */
  public boolean iam() {
    return iam;
  }

  /** The ACL user, if any. */
  public Optional<String> user() {
    return user;
  }

  /** Whether a password (AUTH string) is configured. */
  public boolean hasPassword() {
    return hasPassword;
  }

  @Override
  public String toString() {
    return label;
  }
}
