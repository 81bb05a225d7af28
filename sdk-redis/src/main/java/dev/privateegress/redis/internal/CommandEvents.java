package dev.privateegress.redis.internal;

import dev.privateegress.EgressListener;
import dev.privateegress.PrivateEgress;
import java.time.Duration;
import java.util.function.Function;
import org.apache.commons.pool2.PooledObjectFactory;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;

/**
 * The listener events of one client's commands: {@code attempt} for each try (each time the command
 * is written, and each failed connection set-up before it), {@code callEnded} once per command, and
 * {@code redisAmbiguous} for every {@link dev.privateegress.redis.AmbiguousCommandException}, all named
 * by the client's {@link Endpoint#target()}.
 *
 * <p>With the default no-op listener, {@link #on()} is false and the command path skips the clock
 * reads and the counting altogether, so a successful command allocates nothing here. A configured
 * listener costs a {@link Duration} per attempt. Tries are counted per thread (a command runs on its
 * caller's thread, and in a cluster follows its redirects there).
 */
final class CommandEvents {
  private final EgressListener listener;
  private final String target;
  private final boolean on;
  private final ThreadLocal<Tries> tries;
  /** Null without an ObservationRegistry: then nothing of Micrometer is loaded. */
  final RedisTracing tracing;

  /** The tries of the command running on a thread. */
  private static final class Tries {
    int n;
  }

  /** @param listener the egress listener; {@link EgressListener#NONE} turns the attempt events off */
  public CommandEvents(EgressListener listener, String target) {
    this(listener, target, null);
  }

  /** @param tracing traces each try of a command, or null */
  CommandEvents(EgressListener listener, String target, RedisTracing tracing) {
    this.tracing = tracing;
    this.listener = listener;
    this.target = target;
    this.on = listener != EgressListener.NONE;
    this.tries = on ? ThreadLocal.withInitial(Tries::new) : null;
  }

  /** Whether attempt and call events are emitted (a listener other than the no-op is configured). */
  public boolean on() {
    return on;
  }

  /** The target named in events. */
  public String target() {
    return target;
  }

  /** One try finished; {@code startNanos} from {@link System#nanoTime()}. No-op when {@link #on()} is false. */
  public void attempt(String outcome, long startNanos) {
    if (on) {
      int n = ++tries.get().n;
      listener.attempt(target, n, outcome, Duration.ofNanos(System.nanoTime() - startNanos));
    }
  }

  /** The command ended; resets the count of tries. No-op when {@link #on()} is false. */
  public void ended(boolean succeeded) {
    if (tracing != null) {
      tracing.ended();
    }
    if (on) {
      Tries t = tries.get();
      int n = Math.max(1, t.n);
      t.n = 0;
      listener.callEnded(target, n, succeeded);
    }
  }

  /**
   * Sends {@code command} on {@code c}: one try, traced when tracing is on.
   *
   * @param nodes for a cluster, the node {@code c} is open to (the span's server); null: the endpoint
   */
  <T> T send(Connection c, CommandObject<T> command, Function<Connection, HostAndPort> nodes) {
    return tracing == null ? c.executeCommand(command)
        : tracing.execute(c, command, nodes == null ? null : nodes.apply(c));
  }

  /**
   * {@code factory}, each new connection it makes traced when tracing is on.
   *
   * @param auth {@code iam}, {@code password} or {@code none}: how connections authenticate (never the secret)
   */
  public PooledObjectFactory<Connection> connections(PooledObjectFactory<Connection> factory, String host, int port,
      String auth) {
    return tracing == null ? factory : tracing.connections(factory, host, port, auth);
  }

  /**
   * Events for {@code egress}'s client of {@code target}, traced when the egress has an ObservationRegistry.
   *
   * @param host the endpoint's host (a cluster's discovery endpoint), named in spans
   */
  public static CommandEvents of(PrivateEgress egress, String target, int database, String host, int port) {
    Object registry = egress.config().traces("redis") ? egress.observationRegistry().orElse(null) : null;
    return new CommandEvents(egress.listener(), target, registry == null ? null : new RedisTracing(registry, database, host, port));
  }

  /** A command may have run and was not re-sent (always reported, whatever the listener). */
  public void ambiguous(String command) {
    listener.redisAmbiguous(target, command);
  }

  /** The outcome name of a failed try, from its kind. */
  static String outcome(Failures.Kind kind) {
    return switch (kind) {
      case CONNECT -> "connect";
      case CONNECT_TIMEOUT -> "connect-timeout";
      case TIMEOUT -> "timeout";
      case CLOSED -> "reset";
      case DNS -> "dns";
      case TLS_UNTRUSTED, TLS_HOSTNAME, TLS_HANDSHAKE -> "tls";
      case AUTH -> "auth";
      case TOKEN -> "token";
      default -> "io";
    };
  }
}
