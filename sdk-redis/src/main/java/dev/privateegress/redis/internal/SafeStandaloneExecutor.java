package dev.privateegress.redis.internal;

import dev.privateegress.RetryBudget;
import dev.privateegress.redis.AmbiguousCommandException;
import dev.privateegress.redis.internal.PacedConnectionProvider.IdleMaintenance;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Connection;
import redis.clients.jedis.exceptions.JedisMovedDataException;
import redis.clients.jedis.providers.PooledConnectionProvider;

/**
 * Runs each command once. Getting a connection is retried (nothing has been sent yet), and so is a
 * command the server refused as not ready ({@code LOADING}); a pooled connection the server closed
 * while idle is replaced by the pool before it is handed out ({@link PacedConnectionProvider}); a connection failure
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
  private final CommandEvents events;

  /**
   * @param provider the pool
   * @param retrier the client's retry decisions
   * @param maintenance the idle sweep, run before each command when due
   * @param budget refilled by each successful command
   */
  public SafeStandaloneExecutor(PooledConnectionProvider provider, ConnectRetrier retrier,
      IdleMaintenance maintenance, RetryBudget budget) {
    this.provider = provider;
    this.retrier = retrier;
    this.endpoint = retrier.endpoint();
    this.maintenance = maintenance;
    this.budget = budget;
    this.events = retrier.events();
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
      return retrier.send(c, command, null, budget, null);
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

  /**
   * A pooled connection, or a new one; connection set-up failures are retried. The pool checks what it hands out
   * (idle age, and a 1 ms read on one idle 250 ms or more), so nothing is checked here.
   */
  private Connection borrow(CommandObject<?> command) {
    try {
      return provider.getConnection(command.getArguments());
    } catch (RuntimeException first) {
      return retrier.acquire(endpoint.label(), first, () -> provider.getConnection(command.getArguments()), null,
          ConnectRetrier::asConnectionException);
    }
  }

  @Override
  public void close() {
    provider.close();
  }
}
