package dev.privateegress.redis.internal;

import dev.privateegress.RetryBudget;
import dev.privateegress.redis.AmbiguousCommandException;
import java.time.Duration;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Connection;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisRedirectionException;
import redis.clients.jedis.executors.ClusterCommandExecutor;

/**
 * Jedis' cluster executor (slot routing, MOVED/ASK, multi-node commands) minus its unsafe part.
 *
 * <p>Jedis retries a command after any {@link JedisConnectionException}, including one thrown after
 * the command was written, which applies an {@code INCRBY} twice when the first attempt ran but its
 * reply was lost (redis/jedis#1812). Here such a failure leaves {@link #execute} as {@link
 * AmbiguousCommandException}, which Jedis' loop does not catch, so the command is never re-sent.
 * Redirects still work: MOVED and ASK are replies, not connection failures, and following them is safe.
 * A node that answers {@code CLUSTERDOWN} or {@code LOADING} (restarted, rejoining) did not run the
 * command, so it is sent again until served, within the deadline and budget. Connection set-up failures
 * are retried by {@link SafeClusterConnectionProvider}.
 */
public final class SafeClusterExecutor extends ClusterCommandExecutor {
  private final Endpoint endpoint;
  private final RetryBudget budget;
  private final ConnectRetrier retrier;
  private final StaleConnections stale;
  private final CommandEvents events;
  /** Whether any command got a reply; until then a closed connection may mean a TLS port spoken to in plaintext. */
  private volatile boolean answered;

  /**
   * @param provider the cluster's connection provider (retries connection set-up)
   * @param maxRedirects how many MOVED/ASK redirects one command may follow
   * @param maxTotal how long one command may take across redirects
   * @param budget the cluster's (its discovery endpoint's) budget, refilled by each successful command
   * @param retrier the provider's: its retry loop, and how it explains a refused AUTH
   */
  public SafeClusterExecutor(SafeClusterConnectionProvider provider, int maxRedirects, Duration maxTotal,
      RetryBudget budget, ConnectRetrier retrier) {
    super(provider, maxRedirects, maxTotal);
    this.endpoint = retrier.endpoint();
    this.budget = budget;
    this.retrier = retrier;
    this.stale = provider.stale();
    this.events = retrier.events();
  }

  @Override
  protected <T> T execute(Connection connection, CommandObject<T> command) {
    T reply;
    try {
      reply = once(connection, command);
    } catch (JedisRedirectionException e) {
      throw e; // Jedis follows it; the command goes on
    } catch (RuntimeException e) {
      if (!Failures.notReady(e)) {
        events.ended(repliedNormally(e));
        throw e;
      }
      try {
        reply = retrier.whileNotReady(e, () -> once(connection, command));
      } catch (JedisRedirectionException redirect) {
        throw redirect; // the slot moved while the node was not ready (a failover): Jedis follows it
      } catch (RuntimeException last) {
        events.ended(repliedNormally(last));
        throw last;
      }
    }
    events.ended(true);
    return reply;
  }

  private static boolean repliedNormally(RuntimeException e) {
    return e instanceof JedisDataException && !(e instanceof JedisAccessControlException) && !Failures.notReady(e);
  }

  private <T> T once(Connection connection, CommandObject<T> command) {
    long start = events.on() ? System.nanoTime() : 0L;
    try {
      T reply = events.send(connection, command);
      stale.used(connection);
      budget.recordSuccess();
      if (!answered) {
        answered = true; // written once: the hot path stays free of shared writes
      }
      events.attempt("ok", start);
      return reply;
    } catch (JedisConnectionException e) {
      events.attempt(CommandEvents.outcome(Failures.classify(e)), start);
      String where = "cluster node " + JedisVersions.node(connection) + " of " + endpoint.label();
      AmbiguousCommandException a = Ambiguity.of(command, where, e, endpoint, answered);
      events.ambiguous(a.command());
      throw a;
    } catch (JedisAccessControlException e) {
      stale.used(connection);
      events.attempt("auth", start);
      if (Failures.classify(e) == Failures.Kind.AUTH) {
        throw retrier.authFailed(e);
      }
      throw e;
    } catch (JedisRedirectionException e) {
      stale.used(connection);
      events.attempt("redirect", start);
      throw e;
    } catch (JedisDataException e) {
      stale.used(connection);
      events.attempt(Failures.notReady(e) ? "not-ready" : "ok", start);
      throw e;
    }
  }
}
