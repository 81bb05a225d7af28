package dev.privateegress.redis.internal;

import dev.privateegress.RedisSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import redis.clients.jedis.DefaultJedisSocketFactory;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.SSLSocketWrapper;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * Where and how to connect: the configured host, the address actually dialled (after {@code
 * PRIVATE_EGRESS_HOSTS}), and the security settings, for messages and hints. Holds no secret. Its two
 * names are built once: commands name their endpoint without building strings. {@link EndpointSocketFactory}
 * dials it (and each node of a cluster).
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

  /**
   * Dials every address of an endpoint in order ({@code PRIVATE_EGRESS_HOSTS} addresses as mapped, else
   * what the resolver returns, in its order), within one connect timeout budget: each address gets an
   * equal share of what is left, so a black-holed first address leaves time for the next one. TCP
   * keepalive and no-delay are on. With TLS the handshake runs over the address that accepted, verified
   * against that address (Memorystore certificates name the instance by IP). A failure carries the last
   * address's failure as its cause and the others as suppressed, so that it can be classified.
   *
   * <p>A {@link DefaultJedisSocketFactory} only so that {@code Connection.getHostAndPort()} names the endpoint or
   * node: Jedis 8's cluster executor calls it on every connection and casts the factory to that class. Nothing of
   * the parent's dialling is used.
   */
  static final class EndpointSocketFactory extends DefaultJedisSocketFactory {
    private final Supplier<List<InetAddress>> addresses;
    private final String name;
    private final int port;
    private final int connectTimeoutMillis;
    private final int socketTimeoutMillis;
    private final SSLSocketFactory tls;
    private final SSLParameters tlsParameters;
    private final String tlsHost;
    /** The socket this thread created last, for the pool to keep beside its connection. */
    private final ThreadLocal<Socket> created = new ThreadLocal<>();

    /**
     * @param addresses the addresses to dial in order (resolved at each connect); throws {@link
     *     java.io.UncheckedIOException} wrapping an {@link java.net.UnknownHostException} when the name does
     *     not resolve
     * @param address the host as configured (or a cluster node as the slot map names it) and the port dialled
     * @param name the endpoint, for messages
     * @param tls the TLS socket factory, or null for plaintext
     * @param tlsParameters the TLS parameters, or null
     * @param tlsHost the name the certificate is checked against, or null for the address dialled (mapped
     *     addresses: Memorystore certificates name the instance by IP)
     */
    public EndpointSocketFactory(Supplier<List<InetAddress>> addresses, HostAndPort address, String name,
        int connectTimeoutMillis, int socketTimeoutMillis, SSLSocketFactory tls, SSLParameters tlsParameters,
        String tlsHost) {
      super(address);
      this.tlsHost = tlsHost;
      this.addresses = addresses;
      this.name = name;
      this.port = address.getPort();
      this.connectTimeoutMillis = connectTimeoutMillis;
      this.socketTimeoutMillis = socketTimeoutMillis;
      this.tls = tls;
      this.tlsParameters = tlsParameters;
    }

    /** Resolves {@code host} (an IP literal resolves to itself), in the resolver's order. */
    public static List<InetAddress> resolve(String host) {
      try {
        return List.of(InetAddress.getAllByName(host));
      } catch (java.net.UnknownHostException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    @Override
    public Socket createSocket() throws JedisConnectionException {
      List<InetAddress> all;
      try {
        all = addresses.get();
      } catch (java.io.UncheckedIOException e) {
        throw new JedisConnectionException("Failed to connect to " + name + ": " + e.getCause().getMessage(),
            e.getCause());
      }
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(connectTimeoutMillis);
      IOException last = null;
      java.util.List<IOException> earlier = new java.util.ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left < 1) {
          if (last == null) {
            last = new SocketTimeoutException("Connect timed out");
          }
          break;
        }
        int share = (int) Math.max(1, left / (all.size() - i));
        InetAddress a = all.get(i);
        Socket s = new Socket();
        try {
          s.setKeepAlive(true); // long idle connections: let the OS notice a dead peer
          s.setTcpNoDelay(true);
          s.setSoLinger(true, 0);
          s.connect(new InetSocketAddress(a, port), share);
          s.setSoTimeout(socketTimeoutMillis);
          Socket ready = tls == null ? s : handshake(s, a);
          created.set(ready);
          return ready;
        } catch (IOException | RuntimeException e) {
          closeQuietly(s);
          IOException io = e instanceof IOException x ? x : new IOException(e.getMessage(), e);
          if (last != null) {
            earlier.add(last);
          }
          last = io;
          if (e instanceof javax.net.ssl.SSLException) {
            break; // TLS failed over an address that accepted: another address would not change the certificate
          }
        }
      }
      String dialled = all.size() == 1 ? "" : " (" + all.size() + " addresses tried in order)";
      JedisConnectionException failure = new JedisConnectionException("Failed to connect to " + name + dialled + ".",
          last);
      earlier.forEach(failure::addSuppressed);
      throw failure;
    }

    /** The socket the current thread created last (and forgets it), or null. */
    public Socket takeCreated() {
      Socket s = created.get();
      created.remove();
      return s;
    }

    private Socket handshake(Socket plain, InetAddress a) throws IOException {
      SSLSocket s = (SSLSocket) tls.createSocket(plain, tlsHost != null ? tlsHost : a.getHostAddress(), port, true);
      if (tlsParameters != null) {
        s.setSSLParameters(tlsParameters);
      }
      s.startHandshake();
      return new SSLSocketWrapper(s, plain);
    }

    private static void closeQuietly(Socket s) {
      try {
        s.close();
      } catch (IOException ignored) {
        // nothing was sent on it
      }
    }

    @Override
    public String toString() {
      return name;
    }
  }
}
