package dev.privateegress.redis.internal;

import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryBudget;
import dev.privateegress.TokenException;
import dev.privateegress.internal.Hosts;
import dev.privateegress.internal.NetworkAdvice;
import dev.privateegress.internal.RetryLoop;
import dev.privateegress.redis.AmbiguousCommandException;
import dev.privateegress.redis.internal.PacedConnectionProvider.StaleConnections;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Function;
import java.util.function.Supplier;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisRedirectionException;

/**
 * The retry decisions of one client, on its {@link RetryLoop}: full-jitter backoff, more attempts during
 * the startup grace window, the target's retry budget and one deadline.
 *
 * <ul>
 *   <li>{@link #acquire}: getting a connection, retrying only failures that happen before any command is
 *       sent (connect refused or timed out, reset during setup). AUTH, TLS and token failures are not
 *       retried but explained, with one exception: an IAM token the server refuses forces one token
 *       refresh (at most one per {@code staleRetryInterval}, 5 s by default, like HTTP's 401) and, when
 *       that yields a new token, one more connect. An exhausted pool is not retried either.
 *   <li>{@link #whileNotReady}: a command the server refused because it is not ready ({@code LOADING}
 *       after a restart, {@code CLUSTERDOWN} while a node rejoins) did not run, so it is sent again until
 *       it is served or the deadline or budget stops it.
 * </ul>
 *
 * Both are slow paths: the executors call them only after a first try failed.
 */
final class ConnectRetrier {
  private final PrivateEgress egress;
  private final RetryLoop loop;
  private final Endpoint endpoint;
  private final CommandEvents events;
  private final IamCredentialsProvider iam;
  private final int maxTotal;
  private final Duration maxWait;
  /** Whether any command got a reply; until then a closed connection may mean a TLS port spoken to in plaintext. */
  private volatile boolean answered;
  private volatile org.apache.commons.pool2.impl.GenericObjectPool<?> pool;
  private volatile boolean connected;

  /**
   * @param egress the retry policy, budget and listener
   * @param loop the client's retry loop
   * @param endpoint the configured target (a cluster's discovery endpoint), whose budget every retry spends
   * @param events the client's listener events
   * @param iam the IAM credentials, or null without IAM auth
   * @param maxTotal the pool size (per node), for the pool-exhausted message
   * @param maxWait how long a borrow waits for a free connection, for the pool-exhausted message
   */
  public ConnectRetrier(PrivateEgress egress, RetryLoop loop, Endpoint endpoint, CommandEvents events,
      IamCredentialsProvider iam, int maxTotal, Duration maxWait) {
    this.egress = egress;
    this.loop = loop;
    this.endpoint = endpoint;
    this.events = events;
    this.iam = iam;
    this.maxTotal = maxTotal;
    this.maxWait = maxWait;
  }

  /** The client's retry loop (shared with {@code PrivateRedis.retrying}). */
  public RetryLoop loop() {
    return loop;
  }

  /** The client's endpoint. */
  public Endpoint endpoint() {
    return endpoint;
  }

  /** The client's listener events. */
  public CommandEvents events() {
    return events;
  }

  /** What to do with a failure after the last attempt. */
  public interface Finisher {
    /** The exception to throw for a connect failure of {@code kind}, explained by {@code message}. */
    JedisException finish(Failures.Kind kind, String message, JedisException cause);
  }

  /**
   * Runs {@code get}, retrying connection set-up failures.
   *
   * @param where what is being connected to, for messages: the endpoint's label, or {@code cluster node
   *     HOST:PORT of redis SEED} for a cluster node
   * @param first the failure of a first attempt the caller already made, or null to start with {@code get}
   * @param get borrows a connection (or builds something that connects)
   * @param beforeRetry runs before each retry (e.g. refresh the cluster slot map); may be null
   * @param finisher turns the final failure into the exception to throw
   */
  public <T> T acquire(String where, RuntimeException first, Supplier<T> get, Runnable beforeRetry,
      Finisher finisher) {
    T result = new Acquire<>(where, get, beforeRetry, finisher).run(first);
    connected = true;
    return result;
  }

  /** Getting a connection: only failures before any command was sent are retried. */
  private final class Acquire<T> extends RedisCall<T> {
    private final String where;
    private final Supplier<T> get;
    private final Runnable refresh;
    private final Finisher finisher;
    /** When the current try began, for its attempt event (the caller's own first try: now). */
    private long started = System.nanoTime();

    Acquire(String where, Supplier<T> get, Runnable refresh, Finisher finisher) {
      super(loop, endpoint.target());
      this.where = where;
      this.get = get;
      this.refresh = refresh;
      this.finisher = finisher;
    }

    @Override
    T once() {
      started = System.nanoTime();
      return get.get();
    }

    @Override
    Verdict judge(RuntimeException failure, int attempt) {
      return ConnectRetrier.this.judge(where, failure, finisher, started, attempt);
    }

    @Override
    void beforeNextTry() {
      if (refresh != null) {
        try {
          refresh.run();
        } catch (JedisException ignored) {
          // the next attempt reports the real problem
        }
      }
    }
  }

  /**
   * Sends a command again after the server answered {@code first}, a not-ready reply ({@link
   * Failures#notReady}): the command did not run. Retried with backoff until the deadline or the budget
   * stops it (the attempt limit does not apply: a restart or rejoin takes seconds); then the last reply
   * is thrown as it is.
   */
  public <T> T whileNotReady(RuntimeException first, Supplier<T> send) {
    return new RedisCall<T>(loop, endpoint.target()) {
      @Override
      T once() {
        return send.get();
      }

      @Override
      Verdict judge(RuntimeException e, int attempt) {
        return Failures.notReady(e) ? new Retryable(Failures.shortCause(e), why -> e, true) : new Fatal(e);
      }
    }.run(first);
  }

  private RedisCall.Verdict judge(String where, RuntimeException e, Finisher finisher, long started,
      int attempt) {
    Failures.Kind kind = Failures.classify(e);
    if (!(e instanceof JedisException) && kind != Failures.Kind.TOKEN) {
      return new RedisCall.Fatal(e);
    }
    JedisException failure = e instanceof JedisException j ? Failures.withoutEchoedArguments(j)
        : new JedisConnectionException(e.getMessage(), e);
    if (kind != Failures.Kind.POOL_EXHAUSTED) {
      events.attempt(CommandEvents.outcome(kind), started);
    }
    switch (kind) {
      case AUTH -> {
        if (iam != null && iam.refreshAfterRejection()) {
          // The token cache held a token the server no longer accepts (rotated ACL, revoked grant).
          return new RedisCall.Retryable("IAM token refused; fetched a new one", why -> authFailed(failure));
        }
        return new RedisCall.Fatal(authFailed(failure));
      }
      case TOKEN -> {
        // Redis was reached; the token source was not. Name the token source, not Redis.
        String message = "IAM auth to " + where + " got no access token (" + tokenMessage(e) + "). "
            + Failures.advice(kind, endpoint, failure);
        return new RedisCall.Fatal(finisher.finish(kind, message, failure));
      }
      case POOL_EXHAUSTED -> {
        // Deliberately not a JedisConnectionException: nothing is wrong with the connection, and callers
        // (PrivateRedis.retrying, Jedis' cluster executor) must not treat it as a connect failure.
        return new RedisCall.Fatal(new JedisException(poolExhausted(where), failure));
      }
      case CONNECT, CONNECT_TIMEOUT, TIMEOUT, CLOSED, DNS ->
          egress.listener().connectFailed(endpoint.host(), address(endpoint), failure);
      default -> {
        // explained below
      }
    }
    String advice = kind == Failures.Kind.DNS
        ? endpoint.connectHost() + " does not resolve: "
            + NetworkAdvice.lookupFailed(egress.knownEgress(), endpoint.connectHost())
        : Failures.advice(kind, endpoint, failure);
    String message = "cannot connect to " + where + " (" + Failures.shortCause(failure) + "): " + advice;
    if (!kind.retryable()) {
      return new RedisCall.Fatal(finisher.finish(kind, message, failure));
    }
    int limit = egress.retryPolicy().maxAttempts();
    if (connected && attempt >= limit && egress.inStartupGrace()) {
      // The grace is for the first connection (Direct VPC not ready yet); this client has connected before.
      return new RedisCall.Fatal(finisher.finish(kind, message + " [gave up after " + attempt + " attempts]",
          failure));
    }
    return new RedisCall.Retryable(Failures.shortCause(failure),
        why -> finisher.finish(kind, message + " [" + why + "]", failure));
  }

  /**
   * Tells starvation (more concurrent commands than connections, every one returned promptly) from a leak
   * (connections borrowed and never returned), from the pool's own counts.
   */
  private String poolExhausted(String where) {
    String counts = pool == null ? "" : " (" + pool.getNumActive() + " in use, " + pool.getNumWaiters()
        + " commands waiting)";
    return "pool exhausted: all " + maxTotal + " connections to " + where + " stayed busy and none was returned "
        + "for maxWait " + maxWait.toMillis() + " ms" + counts + ". Connections that are held, not returned, are "
        + "the usual cause: a Pub/Sub subscription (subscribe keeps its connection until it unsubscribes: give "
        + "subscribers a client of their own), a pipeline, transaction or Connection not closed, or commands "
        + "that block (BLPOP, WAIT) on every connection. A burst of waiters while connections keep coming back "
        + "is not this: it waits on, in arrival order, up to the call's deadline; if that ran out, the load "
        + "needs more connections: raise maxTotal on PrivateRedis.builder()";
  }

  /**
   * The client's pool, for the pool-exhausted message (its counts tell starvation from a leak); null for a
   * cluster.
   */
  public void pool(org.apache.commons.pool2.impl.GenericObjectPool<?> pool) {
    this.pool = pool;
  }

  /**
   * The startup grace (more connect attempts) serves an instance's first connection only: once a
   * connection was opened, an outage is retried like any other, so the grace never lengthens it.
   */
  public void connected() {
    connected = true;
  }

  private static String tokenMessage(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof TokenException) {
        return t.getMessage();
      }
    }
    return Failures.shortCause(e);
  }

  /**
   * One try of {@code command} on {@code c}: the one place per Redis attempt where a command is written and its
   * reply read, reported ({@code attempt}) and classified. A connection failure after writing is ambiguous and
   * surfaces as {@link AmbiguousCommandException}, never re-sent; redirects and error replies are the server's
   * answer and go on as they are.
   *
   * @param stale told of each reply on {@code c}, or null where the pool checks idle connections itself (standalone)
   * @param nodes for a cluster, the node a connection is open to (named in spans and messages); null for a
   *     standalone client, whose connections go to its endpoint
   */
  public <T> T send(Connection c, CommandObject<T> command, StaleConnections stale, RetryBudget budget,
      Function<Connection, HostAndPort> nodes) {
    long start = events.on() ? System.nanoTime() : 0L;
    try {
      T reply = events.send(c, command, nodes);
      used(stale, c);
      budget.recordSuccess();
      if (!answered) {
        answered = true; // written once: the hot path stays free of shared writes
      }
      events.attempt("ok", start);
      return reply;
    } catch (JedisConnectionException e) {
      events.attempt(CommandEvents.outcome(Failures.classify(e)), start);
      String where = nodes != null ? "cluster node " + nodes.apply(c) + " of " + endpoint.label()
          : endpoint.label();
      AmbiguousCommandException a = Failures.ambiguous(command, where, e, endpoint, answered);
      events.ambiguous(a.command());
      throw a;
    } catch (JedisAccessControlException e) {
      used(stale, c);
      events.attempt("auth", start);
      if (Failures.classify(e) == Failures.Kind.AUTH) {
        throw authFailed(e);
      }
      throw e;
    } catch (JedisRedirectionException e) {
      used(stale, c);
      events.attempt("redirect", start);
      throw e;
    } catch (JedisDataException e) {
      used(stale, c);
      events.attempt(Failures.notReady(e) ? "not-ready" : "ok", start);
      throw e;
    }
  }

  private static void used(StaleConnections stale, Connection c) {
    if (stale != null) {
      stale.used(c);
    }
  }

  /**
   * After a command's first try failed with {@code first}: a not-ready reply is sent again ({@link
   * #whileNotReady}); anything else ends the command. Reports the command's end when it fails; the caller
   * reports a success.
   */
  public <T> T afterFailedTry(RuntimeException first, Supplier<T> again) {
    if (!Failures.notReady(first)) {
      events.ended(Failures.repliedNormally(first));
      throw first;
    }
    try {
      return whileNotReady(first, again);
    } catch (JedisRedirectionException redirect) {
      throw redirect; // a cluster's slot moved while the node was not ready (a failover): Jedis follows it
    } catch (RuntimeException last) {
      events.ended(Failures.repliedNormally(last));
      throw last;
    }
  }

  /**
   * Explains a refused AUTH, or a command refused with NOAUTH (a connection set up without a password
   * sends nothing until the first command), and reports it to the listener.
   */
  public JedisAccessControlException authFailed(JedisException failure) {
    String advice = Failures.advice(Failures.Kind.AUTH, endpoint, failure);
    egress.listener().redisAuthFailed(endpoint.target(), advice);
    return new JedisAccessControlException("AUTH to " + endpoint.label() + " failed: " + advice, failure);
  }

  /** Where the connection went: the IP when the endpoint is one (as most Memorystore targets are). */
  private static InetSocketAddress address(Endpoint ep) {
    return Hosts.parseIpLiteral(ep.connectHost()).map(ip -> new InetSocketAddress(ip, ep.port()))
        .orElseGet(() -> InetSocketAddress.createUnresolved(ep.connectHost(), ep.port()));
  }

  /** The standard finisher: a {@link JedisConnectionException} carrying the explanation. */
  public static JedisException asConnectionException(Failures.Kind kind, String message, JedisException cause) {
    return new JedisConnectionException(message, cause);
  }
}
