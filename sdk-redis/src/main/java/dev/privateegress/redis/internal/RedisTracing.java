package dev.privateegress.redis.internal;

import dev.privateegress.redis.DefaultRedisCommandObservationConvention;
import dev.privateegress.redis.RedisCommandContext;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.apache.commons.pool2.PooledObjectFactory;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * One CLIENT observation per try of a command on a connection. Loaded only when the egress has an
 * {@code ObservationRegistry}; tries are counted per thread (a command runs on its caller's thread).
 */
final class RedisTracing {
  private final ObservationRegistry registry;
  private final int database;
  private final ThreadLocal<Tries> tries = ThreadLocal.withInitial(Tries::new);

  /** The tries of the command running on a thread. */
  private static final class Tries {
    int n;
  }

  /** The configured endpoint: a standalone client's server, a cluster's discovery endpoint. */
  private final String host;
  private final int port;

  RedisTracing(Object registry, int database, String host, int port) {
    this.registry = (ObservationRegistry) registry;
    this.database = database;
    this.host = host;
    this.port = port;
  }

  /**
   * Runs {@code command} on {@code c} inside an observation of this try.
   *
   * @param node the cluster node {@code c} is open to, or null for the endpoint
   */
  <T> T execute(Connection c, CommandObject<T> command, HostAndPort node) {
    int attempt = ++tries.get().n;
    if (registry.isNoop()) {
      return c.executeCommand(command);
    }
    RedisCommandContext context = node == null
        ? new RedisCommandContext(Failures.commandName(command), host, port, database, attempt)
        : new RedisCommandContext(Failures.commandName(command), node.getHost(), node.getPort(), database, attempt);
    Observation o = Observation.createNotStarted(null, DefaultRedisCommandObservationConvention.INSTANCE,
        () -> context, registry).start();
    try {
      return c.executeCommand(command);
    } catch (JedisDataException e) {
      context.errorPrefix(prefix(e.getMessage()));
      o.error(e);
      throw e;
    } catch (JedisConnectionException e) {
      // every connection failure once the command was handed to the connection becomes AmbiguousCommandException
      context.ambiguous(true);
      o.error(e);
      throw e;
    } catch (RuntimeException e) {
      o.error(e);
      throw e;
    } finally {
      o.stop();
    }
  }

  /** {@code factory} with each new connection observed. */
  PooledObjectFactory<Connection> connections(PooledObjectFactory<Connection> factory, String host, int port,
      String auth) {
    return new TracedConnectionFactory(factory, registry, host, port, auth);
  }

  /** The command ended: the next one starts at attempt 1. */
  void ended() {
    tries.get().n = 0;
  }

  /** {@code WRONGTYPE} of {@code "WRONGTYPE Operation against a key..."}. */
  static String prefix(String message) {
    if (message == null || message.isEmpty()) {
      return null;
    }
    int space = message.indexOf(' ');
    String p = space < 0 ? message : message.substring(0, space);
    return p.chars().allMatch(ch -> ch >= 'A' && ch <= 'Z') ? p : null;
  }
}
