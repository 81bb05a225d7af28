package dev.privateegress.redis.internal;

import dev.privateegress.RetryBudget;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Connection;
import redis.clients.jedis.executors.CommandExecutor;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisMovedDataException;
import redis.clients.jedis.providers.PooledConnectionProvider;

/**
 * Runs each command once. Getting a connection is retried (nothing has been sent yet); a connection
 * failure after the command was written is ambiguous and surfaces as {@link
 * dev.privateegress.redis.AmbiguousCommandException} without a second send.
 */
public final class SafeStandaloneExecutor implements CommandExecutor, RedisRetry.Owner {
  private final PooledConnectionProvider provider;
  private final ConnectRetrier retrier;
  private final Endpoint endpoint;
  private final IdleMaintenance maintenance;
  private final RetryBudget budget;
  /** Whether any command got a reply; until then a closed connection may mean a TLS port spoken to in plaintext. */
  private volatile boolean answered;

  /**
   * @param provider the pool
   * @param retrier retries getting a connection
   * @param endpoint where (for messages)
   * @param maintenance the idle sweep, run before each command when due
   * @param budget refilled by each successful command
   */
  public SafeStandaloneExecutor(PooledConnectionProvider provider, ConnectRetrier retrier, Endpoint endpoint,
      IdleMaintenance maintenance, RetryBudget budget) {
    this.provider = provider;
    this.retrier = retrier;
    this.endpoint = endpoint;
    this.maintenance = maintenance;
    this.budget = budget;
  }

  @Override
  public RedisRetry redisRetry() {
    return retrier.retry();
  }

  @Override
  public <T> T executeCommand(CommandObject<T> command) {
    maintenance.maybeSweep();
    Connection c = retrier.acquire(endpoint, () -> provider.getConnection(command.getArguments()), null,
        ConnectRetrier::asConnectionException);
    try (c) {
      T reply = c.executeCommand(command);
      budget.recordSuccess();
      if (!answered) {
        answered = true; // written once: the hot path stays free of shared writes
      }
      return reply;
    } catch (JedisConnectionException e) {
      throw Ambiguity.of(command, endpoint.label(), e, endpoint, answered);
    } catch (JedisMovedDataException e) {
      // Only a cluster answers MOVED; a standalone client cannot follow it.
      throw new JedisMovedDataException(e.getMessage() + " (" + endpoint.label() + " is a cluster: set "
          + "REDIS_CLUSTER=true and point REDISHOST at its discovery endpoint)", e.getTargetNode(), e.getSlot());
    } catch (JedisAccessControlException e) {
      if (Failures.classify(e) == Failures.Kind.AUTH) {
        throw retrier.authFailed(endpoint, e);
      }
      throw e;
    }
  }

  @Override
  public void close() {
    provider.close();
  }
}
