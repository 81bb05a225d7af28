package dev.privateegress.redis.internal;

import dev.privateegress.redis.RedisObservation;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.apache.commons.pool2.PooledObject;
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
    RedisObservation.CommandContext context = node == null
        ? new RedisObservation.CommandContext(Failures.commandName(command), host, port, database, attempt)
        : new RedisObservation.CommandContext(Failures.commandName(command), node.getHost(), node.getPort(), database,
            attempt);
    Observation o = Observation.createNotStarted(null, RedisObservation.DefaultCommandConvention.INSTANCE,
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
    return new TracedFactory(factory, registry, host, port, auth);
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

  /**
   * The pool's connection factory inside an observation of each new connection: Jedis connects and sends
   * {@code AUTH} in {@code makeObject}, on the borrowing thread, so the span covers both and an IAM token fetch
   * made for it (a cache miss) is its child.
   */
  static final class TracedFactory implements PooledObjectFactory<Connection> {
    private final PooledObjectFactory<Connection> factory;
    private final ObservationRegistry registry;
    private final String host;
    private final int port;
    private final String auth;

    TracedFactory(PooledObjectFactory<Connection> factory, ObservationRegistry registry, String host,
        int port, String auth) {
      this.factory = factory;
      this.registry = registry;
      this.host = host;
      this.port = port;
      this.auth = auth;
    }

    @Override
    public PooledObject<Connection> makeObject() throws Exception {
      if (registry.isNoop()) {
        return factory.makeObject();
      }
      Observation o = Observation.createNotStarted(null, RedisObservation.DefaultConnectConvention.INSTANCE,
          () -> new RedisObservation.ConnectContext(host, port, auth), registry).start();
      try (Observation.Scope scope = o.openScope()) {
        return factory.makeObject();
      } catch (Exception e) {
        o.error(e);
        throw e;
      } finally {
        o.stop();
      }
    }

    @Override
    public void activateObject(PooledObject<Connection> p) throws Exception {
      factory.activateObject(p);
    }

    @Override
    public void destroyObject(PooledObject<Connection> p) throws Exception {
      factory.destroyObject(p);
    }

    @Override
    public void passivateObject(PooledObject<Connection> p) throws Exception {
      factory.passivateObject(p);
    }

    @Override
    public boolean validateObject(PooledObject<Connection> p) {
      return factory.validateObject(p);
    }
  }
}
