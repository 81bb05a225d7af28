package dev.privateegress.redis.internal;

import dev.privateegress.RetryBudget;
import dev.privateegress.redis.AmbiguousCommandException;
import dev.privateegress.redis.internal.PacedConnectionProvider.IdleMaintenance;
import dev.privateegress.redis.internal.PacedConnectionProvider.StaleConnections;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Connection;
import redis.clients.jedis.exceptions.JedisMovedDataException;
import redis.clients.jedis.providers.PooledConnectionProvider;

/**
 * Runs each command once. Getting a connection is retried (nothing has been sent yet), and so is a
 * command the server refused as not ready ({@code LOADING}); a pooled connection the server closed
 * while idle is replaced before the command is written ({@link StaleConnections}); a connection failure
 * after the command was written is ambiguous and surfaces as {@link AmbiguousCommandException} without
 * a second send.
 *
 * <p>The success path allocates nothing of its own: no lambda, no retry context, no string. The retry
 * machinery is entered only after a first try failed.
 */
final class SafeStandaloneExecutor implements redis.clients.jedis.executors.CommandExecutor {
  private final PooledConnectionProvider provider;
  private final ConnectRetrier retrier;
  private final Endpoint endpoint;
  private final IdleMaintenance maintenance;
  private final RetryBudget budget;
  private final StaleConnections stale;
  private final CommandEvents events;
  private final int maxTotal;

  /**
   * @param provider the pool
   * @param retrier the client's retry decisions
   * @param maintenance the idle sweep, run before each command when due
   * @param budget refilled by each successful command
   * @param stale finds idle connections the server closed
   * @param maxTotal the pool size: at most this many stale connections are replaced for one command
   */
  public SafeStandaloneExecutor(PooledConnectionProvider provider, ConnectRetrier retrier,
      IdleMaintenance maintenance, RetryBudget budget, StaleConnections stale, int maxTotal) {
    this.provider = provider;
    this.retrier = retrier;
    this.endpoint = retrier.endpoint();
    this.maintenance = maintenance;
    this.budget = budget;
    this.stale = stale;
    this.events = retrier.events();
    this.maxTotal = maxTotal;
  }

  @Override
  public <T> T executeCommand(CommandObject<T> command) {
    maintenance.maybeSweep();
    T reply;
    try {
      reply = send(command);
    } catch (RuntimeException e) {
      reply = retrier.afterFailedTry(e, () -> send(command));
    }
    events.ended(true);
    return reply;
  }

  /** One try: borrow a live connection, write the command, read the reply. */
  private <T> T send(CommandObject<T> command) {
    Connection c = borrow(command);
    try {
      return retrier.send(c, command, stale, budget, null);
    } catch (JedisMovedDataException e) {
      // Only a cluster answers MOVED; a standalone client cannot follow it.
      throw new JedisMovedDataException(e.getMessage() + " (" + endpoint.label() + " is a cluster: set "
          + "REDIS_CLUSTER=true and point REDISHOST at its discovery endpoint)", e.getTargetNode(), e.getSlot());
    } finally {
      release(c);
    }
  }

  /** Returns {@code c} to the pool; a broken one that cannot be destroyed cleanly must not hide the outcome. */
  private static void release(Connection c) {
    try {
      c.close();
    } catch (RuntimeException e) {
      // the pool has let go of it either way
    }
  }

  /** A pooled connection that is still open, or a new one; connection set-up failures are retried. */
  private Connection borrow(CommandObject<?> command) {
    for (int i = 0; ; i++) {
      Connection c;
      try {
        c = provider.getConnection(command.getArguments());
      } catch (RuntimeException first) {
        return retrier.acquire(endpoint.label(), first, () -> fresh(command), null,
            ConnectRetrier::asConnectionException);
      }
      if (i >= maxTotal || stale.usable(c)) {
        return c;
      }
      stale.discard(c); // closed by the server while idle: nothing was sent on it
    }
  }

  private Connection fresh(CommandObject<?> command) {
    for (int i = 0; ; i++) {
      Connection c = provider.getConnection(command.getArguments());
      if (i >= maxTotal || stale.usable(c)) {
        return c;
      }
      stale.discard(c);
    }
  }

  @Override
  public void close() {
    provider.close();
  }
}
