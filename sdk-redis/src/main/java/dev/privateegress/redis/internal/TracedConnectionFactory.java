package dev.privateegress.redis.internal;

import dev.privateegress.redis.DefaultRedisConnectObservationConvention;
import dev.privateegress.redis.RedisConnectContext;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.apache.commons.pool2.PooledObject;
import org.apache.commons.pool2.PooledObjectFactory;
import redis.clients.jedis.Connection;

/**
 * The pool's connection factory inside an observation of each new connection: Jedis connects and sends
 * {@code AUTH} in {@code makeObject}, on the borrowing thread, so the span covers both and an IAM token fetch
 * made for it (a cache miss) is its child.
 */
final class TracedConnectionFactory implements PooledObjectFactory<Connection> {
  private final PooledObjectFactory<Connection> factory;
  private final ObservationRegistry registry;
  private final String host;
  private final int port;
  private final String auth;

  TracedConnectionFactory(PooledObjectFactory<Connection> factory, ObservationRegistry registry, String host,
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
    Observation o = Observation.createNotStarted(null, DefaultRedisConnectObservationConvention.INSTANCE,
        () -> new RedisConnectContext(host, port, auth), registry).start();
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
