package dev.privateegress.redis;

import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;
import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.SenderContext;

/**
 * The SDK's Redis observations, in Micrometer's shape: for commands and for new connections, a context (the facts),
 * a convention interface and its default (names and key values). To rename a span or change its key values,
 * register an implementation of {@link CommandConvention} or {@link ConnectConvention} as a {@code
 * GlobalObservationConvention} on the registry (with Spring Boot, a bean), e.g. by extending the default.
 */
public final class RedisObservation {
  private RedisObservation() {}

  /**
   * One try of one Redis command on one connection: the command's name only, never its arguments. A re-send by the
   * SDK's retry is another context with the next attempt number.
   */
  public static class CommandContext extends SenderContext<Object> {
    private final String command;
    private final String host;
    private final int port;
    private final int database;
    private final int attempt;
    private String errorPrefix;
    private boolean ambiguous;

    /**
     * @param host the server: a standalone client's endpoint, or the cluster node that serves this try
     */
    public CommandContext(String command, String host, int port, int database, int attempt) {
      super((carrier, key, value) -> { }, Kind.CLIENT); // RESP carries no trace context
      this.command = command;
      this.host = host;
      this.port = port;
      this.database = database;
      this.attempt = attempt;
    }

    /** The command's name ({@code INCR}, {@code GET}, ...). */
    public String command() {
      return command;
    }

    public String host() {
      return host;
    }

    public int port() {
      return port;
    }

    public int database() {
      return database;
    }

    /** 1 for the first try of the command, 2 and more for the SDK's re-sends. */
    public int attempt() {
      return attempt;
    }

    /** The error reply's prefix ({@code WRONGTYPE}, {@code NOAUTH}, ...), or null. */
    public String errorPrefix() {
      return errorPrefix;
    }

    public void errorPrefix(String prefix) {
      this.errorPrefix = prefix;
    }

    /** The connection broke after the command was written: it may or may not have run. */
    public boolean ambiguous() {
      return ambiguous;
    }

    public void ambiguous(boolean ambiguous) {
      this.ambiguous = ambiguous;
    }
  }

  /**
   * A new connection to Redis (a standalone endpoint or a cluster node): connect, TLS, {@code AUTH} (never its
   * arguments) and the set-up commands Jedis sends on it. An IAM connection's access-token fetch, on a cache miss,
   * is its child.
   */
  public static class ConnectContext extends SenderContext<Object> {
    private final String host;
    private final int port;
    private final String auth;

    /**
     * @param auth how the connection authenticates: {@code iam}, {@code password} or {@code none}
     */
    public ConnectContext(String host, int port, String auth) {
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

  /** Names a Redis command's observation and its key values; the default is {@link DefaultCommandConvention}. */
  public interface CommandConvention extends ObservationConvention<CommandContext> {
    @Override
    default boolean supportsContext(Observation.Context context) {
      return context instanceof CommandContext;
    }
  }

  /** Names a Redis connection's observation and its key values; the default is {@link DefaultConnectConvention}. */
  public interface ConnectConvention extends ObservationConvention<ConnectContext> {
    @Override
    default boolean supportsContext(Observation.Context context) {
      return context instanceof ConnectContext;
    }
  }

  /**
   * OpenTelemetry's Redis conventions: observation {@code private.egress.redis.command}, span name the command;
   * {@code db.system.name=redis}, {@code db.operation.name}, {@code server.address}, {@code server.port},
   * {@code db.namespace} (the database index), {@code db.response.status_code} (an error reply's prefix),
   * {@code error.type}; no argument ever. The SDK's own: {@code private_egress.attempt} on re-sends and
   * {@code private_egress.outcome=ambiguous} when the command may or may not have run.
   */
  public static class DefaultCommandConvention implements CommandConvention {
    public static final DefaultCommandConvention INSTANCE = new DefaultCommandConvention();

    @Override
    public String getName() {
      return "private.egress.redis.command";
    }

    @Override
    public String getContextualName(CommandContext context) {
      return context.command();
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(CommandContext context) {
      KeyValues kv = KeyValues.of("db.system.name", "redis", "db.operation.name", context.command(),
          "server.address", context.host(), "server.port", Integer.toString(context.port()),
          "db.namespace", Integer.toString(context.database()));
      if (context.errorPrefix() != null) {
        kv = kv.and("db.response.status_code", context.errorPrefix());
      }
      if (context.ambiguous()) {
        kv = kv.and("private_egress.outcome", "ambiguous");
      }
      Throwable error = context.getError();
      if (error != null) {
        kv = kv.and("error.type", context.errorPrefix() != null ? context.errorPrefix() : error.getClass().getName());
      }
      return kv;
    }

    @Override
    public KeyValues getHighCardinalityKeyValues(CommandContext context) {
      return context.attempt() > 1 ? KeyValues.of("private_egress.attempt", Integer.toString(context.attempt()))
          : KeyValues.empty();
    }
  }

  /**
   * Observation {@code private.egress.redis.connect}, span name {@code redis connect}: {@code db.system.name},
   * {@code server.address}, {@code server.port}, {@code private_egress.auth} ({@code iam}, {@code password} or
   * {@code none}), {@code error.type} on failure.
   */
  public static class DefaultConnectConvention implements ConnectConvention {
    public static final DefaultConnectConvention INSTANCE = new DefaultConnectConvention();

    @Override
    public String getName() {
      return "private.egress.redis.connect";
    }

    @Override
    public String getContextualName(ConnectContext context) {
      return "redis connect";
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(ConnectContext context) {
      KeyValues kv = KeyValues.of("db.system.name", "redis", "server.address", context.host(),
          "server.port", Integer.toString(context.port()), "private_egress.auth", context.auth());
      Throwable error = context.getError();
      return error == null ? kv : kv.and("error.type", error.getClass().getName());
    }
  }
}
