package dev.privateegress.redis.internal;

import dev.privateegress.internal.Util;
import dev.privateegress.redis.AmbiguousCommandException;
import java.io.EOFException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.util.Locale;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisRedirectionException;

/** Classifies connection failures and explains them; never includes secrets. */
public final class Failures {
  private Failures() {}

  /** What went wrong while establishing a connection. */
  public enum Kind {
    /** Wrong password / token, missing role, or AUTH required: retrying does not help. */
    AUTH(false),
    /** REDIS_CLUSTER=true, but the server has cluster support disabled: a standalone instance. */
    NOT_A_CLUSTER(false),
    /** The server's certificate chain is not signed by a trusted CA. */
    TLS_UNTRUSTED(false),
    /** The certificate does not name the host or IP we dialled. */
    TLS_HOSTNAME(false),
    /** The TLS handshake failed otherwise, typically because the port speaks plaintext. */
    TLS_HANDSHAKE(false),
    /** The host name does not resolve: another try would get the same answer from the resolver. */
    DNS(false),
    /** Connect refused or the network unreachable: worth retrying. */
    CONNECT(true),
    /** Nothing answered the connect within the connect timeout (a black hole, a firewall, a dead host). */
    CONNECT_TIMEOUT(true),
    /**
     * No reply within the socket timeout on a connection that was open. Before a command was sent (during
     * set-up) worth retrying; after, the command is ambiguous.
     */
    TIMEOUT(true),
    /** The server closed or reset the connection during setup (restarting, or a TLS port spoken to in plaintext). */
    CLOSED(true),
    /** No access token for IAM auth (metadata server or credentials problem). */
    TOKEN(false),
    /** The pool had no free connection within its wait time. */
    POOL_EXHAUSTED(false),
    /** Anything else: not retried, reported with its type. */
    OTHER(false);

    private final boolean retryable;

    Kind(boolean retryable) {
      this.retryable = retryable;
    }

    /** Whether another connect attempt may succeed. */
    public boolean retryable() {
      return retryable;
    }
  }

  /** What kind of failure {@code e} is, from its cause chain (TLS causes win over socket ones). */
  public static Kind classify(Throwable e) {
    boolean sawSsl = false;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof JedisAccessControlException) {
        return Kind.AUTH;
      }
      if (t instanceof dev.privateegress.TokenException) {
        return Kind.TOKEN;
      }
      String m = String.valueOf(t.getMessage());
      if (m.startsWith("WRONGPASS") || m.startsWith("NOAUTH") || m.contains("invalid password")
          || m.contains("invalid username-password")) {
        return Kind.AUTH;
      }
      if (m.contains("cluster support disabled")) {
        return Kind.NOT_A_CLUSTER;
      }
      if (t instanceof java.util.NoSuchElementException && m.contains("Timeout waiting for idle object")) {
        return Kind.POOL_EXHAUSTED;
      }
      if (t instanceof CertPathBuilderException || t instanceof CertPathValidatorException) {
        return Kind.TLS_UNTRUSTED;
      }
      if (t instanceof SSLPeerUnverifiedException && m.contains("does not name")) {
        return Kind.TLS_HOSTNAME;
      }
      if (t instanceof SSLException) {
        sawSsl = true;
      }
    }
    if (sawSsl) {
      return Kind.TLS_HANDSHAKE;
    }
    for (Throwable t = e; t != null; t = next(t)) {
      if (t instanceof UnknownHostException) {
        return Kind.DNS;
      }
      if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
        return Kind.CONNECT;
      }
      if (t instanceof SocketTimeoutException) {
        // "Connect timed out" from Socket.connect; "Read timed out" from a read on an open connection
        return String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT).contains("connect") ? Kind.CONNECT_TIMEOUT
            : Kind.TIMEOUT;
      }
      if (t instanceof EOFException || t instanceof SocketException) {
        return Kind.CLOSED;
      }
    }
    // No socket-level cause: Jedis' own messages ("Unexpected end of stream.", "Failed to connect ...").
    for (Throwable t = e; t != null; t = next(t)) {
      String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
      if (m.contains("unexpected end of stream") || m.contains("connection reset")
          || m.contains("broken pipe")) {
        return Kind.CLOSED;
      }
      if (m.contains("failed to connect") || m.contains("connection refused")) {
        return Kind.CONNECT;
      }
    }
    return e instanceof JedisConnectionException ? Kind.CONNECT : Kind.OTHER;
  }

  /** The cause, or for Jedis' "failed to connect" (causes kept as suppressed) the last suppressed one. */
  private static Throwable next(Throwable t) {
    if (t.getCause() != null && t.getCause() != t) {
      return t.getCause();
    }
    Throwable[] s = t.getSuppressed();
    return s.length > 0 ? s[s.length - 1] : null;
  }

  /**
   * Whether {@code e} is a reply by which the server refused a command without running it because it is
   * not ready: {@code LOADING} (loading its data after a restart), {@code CLUSTERDOWN} (a cluster node
   * that has not rejoined, or a slot without a master), {@code TRYAGAIN} (a multi-key command during a
   * slot migration), {@code MASTERDOWN} (a replica that lost its master). Sending it again is safe for
   * any command.
   */
  public static boolean notReady(Throwable e) {
    if (!(e instanceof JedisDataException) || e instanceof JedisRedirectionException
        || e instanceof JedisAccessControlException) {
      return false;
    }
    String m = e.getMessage();
    return m != null && (m.startsWith("LOADING") || m.startsWith("CLUSTERDOWN") || m.startsWith("TRYAGAIN")
        || m.startsWith("MASTERDOWN"));
  }

  /** Why and what to do, for a connection that could not be set up. */
  public static String advice(Kind kind, Endpoint ep, Throwable e) {
    return switch (kind) {
      case AUTH -> authAdvice(ep, e);
      case TLS_UNTRUSTED -> "the server's certificate is not signed by "
          + ep.caFile().map(p -> "any CA in REDIS_TLS_CA=" + p).orElse("a CA in the JDK trust store")
          + ". Download the instance's current server CA certificates (Memorystore: gcloud redis instances "
          + "describe INSTANCE --format='value(serverCaCerts)', or the console's 'Download' button); during a CA "
          + "rotation put both the old and the new CA in the file. Verification is never switched off";
      case TLS_HOSTNAME -> "the certificate does not name " + ep.connectHost()
          + ": Memorystore certificates name the instance by IP, so connect to the instance IP the console "
          + "shows (REDISHOST), not a DNS alias, or map the name with PRIVATE_EGRESS_HOSTS";
      case TLS_HANDSHAKE -> "the TLS handshake failed: the port does not seem to speak TLS. Memorystore serves "
          + "plaintext on 6379 and TLS (in-transit encryption) on 6378: check REDISPORT, or drop rediss:// and "
          + "REDIS_TLS_CA if the instance has in-transit encryption off";
      case CLOSED -> !ep.tls() && ep.port() == 6378
          ? "TLS port dialled in plaintext: 6378 is Memorystore's TLS port (in-transit encryption) and the server "
              + "closed the plaintext connection. Use rediss:// and set REDIS_TLS_CA to the server CA file"
          : "the server closed the connection during setup. "
          + (ep.tls() ? "It may be restarting or overloaded (maxclients)"
              : "If the port expects TLS (Memorystore with in-transit encryption listens on 6378), use rediss:// "
                  + "and set REDIS_TLS_CA to the server CA file; otherwise the server may be restarting");
      case NOT_A_CLUSTER -> "REDIS_CLUSTER=true, but " + ep.label() + " is not a cluster (it has cluster support "
          + "disabled): unset REDIS_CLUSTER for a Memorystore for Redis instance; keep it for Memorystore for "
          + "Redis Cluster or Valkey with cluster mode enabled, pointed at the discovery endpoint";
      case DNS -> ep.connectHost() + " does not resolve: use the instance's IP address (REDISHOST), or check "
          + "that the private DNS zone is visible through this service's VPC egress";
      case CONNECT -> "the connection was refused or the network is unreachable: check that the instance is up "
          + "(a restart or failover refuses for a few seconds), that this service has VPC egress "
          + "(connector or Direct VPC) into the instance's network, and that the port is right "
          + "(6379 plaintext, 6378 TLS)";
      case CONNECT_TIMEOUT -> "nothing answered the connect within the connect timeout: packets are dropped on "
          + "the way (no VPC egress into the instance's network, a firewall rule, the connector at capacity) or "
          + "the instance is down; check egress.doctor() for the route and the firewall";
      case TIMEOUT -> "the server did not reply within the socket timeout: it is overloaded or blocked (a slow "
          + "command, a save), or the path dropped the connection silently";
      case TOKEN -> "IAM auth (REDIS_IAM_AUTH=true) needs the service account's access token, and none could be "
          + "obtained: check the metadata server (GCE_METADATA_HOST) or the configured credentials; "
          + "egress.doctor() shows the token check";
      case POOL_EXHAUSTED -> "every pooled connection is in use: raise maxTotal on PrivateRedis.builder() or "
          + "return connections sooner (close pipelines and transactions)";
      case OTHER -> "unexpected failure: " + e.getClass().getSimpleName();
    };
  }

  private static String authAdvice(Endpoint ep, Throwable e) {
    String m = "";
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && (t.getMessage().startsWith("NOAUTH") || t.getMessage().startsWith("WRONGPASS"))) {
        m = t.getMessage();
      }
    }
    if (m.startsWith("NOAUTH") && !ep.hasPassword() && !ep.iam()) {
      return "the server requires AUTH but none is configured: set REDIS_AUTH to the instance's AUTH string "
          + "(gcloud redis instances get-auth-string INSTANCE), or REDIS_IAM_AUTH=true for IAM auth";
    }
    if (ep.iam()) {
      return "IAM auth was refused for user 'default' with this service account's access token: grant it "
          + "roles/redis.dbConnectionUser on the instance (or project), check the instance has IAM "
          + "authentication enabled, and note that a new grant can take a few minutes to apply";
    }
    if (ep.user().isPresent() && !"default".equals(ep.user().get())) {
      return "wrong password for ACL user '" + ep.user().get() + "', or the user is disabled: check the "
          + "user name and password in REDIS_URL";
    }
    return "wrong AUTH string: REDIS_AUTH (or the password in REDIS_URL) does not match the instance's AUTH "
        + "string; fetch the current one with gcloud redis instances get-auth-string INSTANCE (it changes when "
        + "AUTH is disabled and re-enabled)";
  }

  /**
   * A short description of the root cause for events, e.g. {@code ConnectException: Connection refused}.
   * Redis echoes the arguments of a command it does not know ({@code ERR unknown command 'AUTH', with
   * args beginning with: 'the-password'}, when AUTH is renamed); those are cut off.
   */
  public static String shortCause(Throwable e) {
    Throwable root = Util.rootCause(e);
    String m = root.getMessage() == null ? "" : ": " + ECHOED_ARGS.matcher(root.getMessage()).replaceAll("$1 (not shown)");
    return root.getClass().getSimpleName() + m;
  }

  /**
   * {@code e} itself, or when a message in its cause chain echoes command arguments (which may hold the
   * password), a {@link JedisException} with the cleaned root message and no such cause: exceptions are
   * logged with their causes.
   */
  public static JedisException withoutEchoedArguments(JedisException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && ECHOED_ARGS.matcher(t.getMessage()).find()) {
        return new JedisException(shortCause(e));
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return e;
  }

  private static final java.util.regex.Pattern ECHOED_ARGS =
      java.util.regex.Pattern.compile("(?is)(with args beginning with:).*");

  /**
   * The exception for a command whose outcome is unknown: the connection failed after it was written.
   *
   * @param answered whether this client ever got a reply: a server that closes connections before any
   *     reply may be a TLS port spoken to in plaintext, one that closes them after serving is restarting
   */
  static AmbiguousCommandException ambiguous(CommandObject<?> command, String where, JedisConnectionException e,
      Endpoint ep, boolean answered) {
    String name = commandName(command);
    String hint = "";
    if (!ep.tls() && !answered && classify(e) == Failures.Kind.CLOSED) {
      hint = " If this port expects TLS (Memorystore with in-transit encryption listens on 6378), use "
          + "rediss:// and REDIS_TLS_CA.";
    }
    return new AmbiguousCommandException(name, "connection to " + where + " failed after " + name
        + " was sent (" + shortCause(e) + "); it may or may not have run, so it was not sent again. "
        + "Retry it yourself only if running it twice is harmless (PrivateRedis.retrying)." + hint, e);
  }

  static String commandName(CommandObject<?> command) {
    try {
      ProtocolCommand r = command.getArguments().getCommand();
      return new String(r.getRaw(), StandardCharsets.UTF_8).toUpperCase(java.util.Locale.ROOT);
    } catch (RuntimeException e) {
      return "command";
    }
  }

  /** An error reply such as WRONGTYPE is the command's answer: the call itself worked. */
  static boolean repliedNormally(RuntimeException e) {
    return e instanceof JedisDataException && !(e instanceof JedisAccessControlException) && !notReady(e);
  }
}
