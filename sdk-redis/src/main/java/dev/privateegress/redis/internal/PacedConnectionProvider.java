package dev.privateegress.redis.internal;

import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.commons.pool2.PooledObject;
import org.apache.commons.pool2.PooledObjectFactory;
import org.apache.commons.pool2.impl.GenericObjectPool;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionFactory;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.providers.PooledConnectionProvider;

/**
 * A standalone pool that opens connections at the pace they are needed, so that a fleet of instances
 * does not open its whole pool at once at scale-out or after a failover.
 *
 * <ul>
 *   <li>At most one connection is being opened at a time. The pool's {@code maxTotal} is kept at the
 *       number of open connections plus one, so commons-pool itself lets only one borrower create while
 *       the others wait for that connection or for a returned one.
 *   <li>The pool grows by one only when a borrower has waited {@value #GROW_AFTER_MILLIS} ms without getting
 *       a connection (waiters persist), up to the configured {@code maxTotal}. One borrower at a time
 *       watches for that; the others wait in the pool's queue in arrival order. A burst of commands on a new
 *       instance against a fast server is served by one connection; sustained concurrency grows the pool
 *       as before, one connection at a time.
 *   <li>A connection that is closed lowers the limit with it: after a failover, when the old connections
 *       are found broken, one probe connection is opened first and the pool grows again only after it
 *       succeeded.
 *   <li>While the endpoint refuses or times out, borrowers share the outcome of the attempt in flight: a
 *       borrower that was waiting while it failed, or that comes within {@code shareFailureFor} after it,
 *       fails at once with the same cause instead of dialling again. Connect attempts then stay near one
 *       per instance per {@code shareFailureFor} (and per connect timeout), not one per request.
 *   <li>Waiters are served in arrival order. One that waited {@code maxWait} while connections kept being
 *       returned (to those ahead of it) waits on, up to the call's deadline: the pool is busy, not leaking.
 *       Only when no connection came back for {@code maxWait} does the borrow fail (pool exhausted).
 *   <li>A connection idle longer than {@code idleLimit} is closed and replaced when it is next borrowed, on
 *       the caller's thread and without a round trip (idle flows the egress path forgot fail silently).
 *   <li>A connection idle for {@value #CHECK_AFTER_IDLE_MILLIS} ms or more is checked at borrow the way OkHttp
 *       checks an idle HTTP connection: read with a 1 ms timeout; end of stream, a reset or a stray byte
 *       means the server closed it, and it is replaced before anything is written. This covers whatever
 *       borrows: commands, pipelines, transactions, subscriptions.
 * </ul>
 *
 * No thread is started; all of it runs on the borrowing thread.
 */
final class PacedConnectionProvider extends PooledConnectionProvider {
  /** How long a borrower waits for a returned connection before the pool may open one more. */
  static final long GROW_AFTER_MILLIS = 20;
  /** Connections idle this long are checked for a close by the server before they are handed out. */
  static final long CHECK_AFTER_IDLE_MILLIS = 250;
  private static final Duration GROW_AFTER = Duration.ofMillis(GROW_AFTER_MILLIS);
  private static final long GROW_AFTER_NANOS = GROW_AFTER.toNanos();
  private static final long CHECK_AFTER_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(CHECK_AFTER_IDLE_MILLIS);
  private static final long ONE_MILLI_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final Pacer pacer;
  private final long starvedWaitNanos;
  private final java.util.concurrent.atomic.AtomicBoolean watching = new java.util.concurrent.atomic.AtomicBoolean();

  private PacedConnectionProvider(Pacer pacer, GenericObjectPoolConfig<Connection> config, Duration starvedWait) {
    super(pacer, config);
    this.pacer = pacer;
    this.starvedWaitNanos = starvedWait.toNanos();
    pacer.attach(getPool());
  }

  /**
   * A paced pool of connections over {@code sockets}.
   *
   * @param clientConfig the connections' settings (AUTH, database, client name)
   * @param config the pool settings; its {@code maxTotal} is the ceiling the pool grows to
   * @param idleLimit connections idle longer than this are replaced at borrow
   * @param pingOnBorrow whether a borrow also PINGs (the user's {@code testOnBorrow})
   * @param shareFailureFor how long a failed connect attempt answers for the borrowers that follow it
   * @param starvedWait how long in all a borrower may wait past {@code maxWait} while connections keep being
   *     returned to others (the call's deadline): a burst of waiters is starvation, not a leak
   * @param onConnected told once a connection was opened (the end of the startup grace)
   * @param traced wraps the connection factory (tracing each new connection), or returns it as it is
   */
  public static PacedConnectionProvider of(JedisClientConfig clientConfig, EndpointSocketFactory sockets,
      GenericObjectPoolConfig<Connection> config, Duration idleLimit, boolean pingOnBorrow,
      Duration shareFailureFor, Duration starvedWait, Runnable onConnected,
      UnaryOperator<PooledObjectFactory<Connection>> traced) {
    GenericObjectPoolConfig<Connection> c = config.clone();
    int ceiling = c.getMaxTotal() < 0 ? Integer.MAX_VALUE : c.getMaxTotal();
    c.setTestOnBorrow(true); // the idle limit is checked by validateObject at borrow (no round trip)
    return new PacedConnectionProvider(new Pacer(traced.apply(new ConnectionFactory(sockets, clientConfig)), sockets,
        ceiling, idleLimit, pingOnBorrow, shareFailureFor, onConnected), c, starvedWait);
  }

  @Override
  public Connection getConnection() {
    return borrow();
  }

  @Override
  public Connection getConnection(CommandArguments args) {
    return borrow();
  }

  /** Connections open now (not counting one being opened), for tests and benchmarks. */
  public int open() {
    return pacer.live();
  }

  /** How many connections this pool has opened so far. */
  public long opened() {
    return pacer.opened();
  }

  private Connection borrow() {
    GenericObjectPool<Connection> pool = getPool();
    long now = System.nanoTime();
    long maxWait = Math.max(0, pool.getMaxWaitDuration().toNanos());
    long deadline = now + maxWait;
    long lastResort = now + Math.max(maxWait, starvedWaitNanos);
    long returned = pool.getReturnedCount();
    long[] started = Pacer.BORROW_STARTED.get();
    started[0] = now;
    // While the pool may still grow, a borrower first waits briefly. If no connection came, one waiter at
    // a time becomes the watcher: it opens one more connection into the pool each time another short wait
    // passes without one, up to the ceiling. The others wait out their time in the pool's queue.
    boolean watcher = false;
    boolean shortWait = pool.getMaxTotal() < pacer.ceiling;
    boolean firstPass = true;
    try {
      while (true) {
        // The clock is read again only once something made this borrower wait (a command reads it once here).
        boolean waited = !firstPass;
        firstPass = false;
        // A borrower that finds every connection busy and none being opened is a waiter that persists under
        // sustained concurrency: one more connection now. (Waiting for a short time first would never grow
        // the pool against a fast server, whose connections come back within the wait: the borrowers would
        // share one connection.)
        if (shortWait && pool.getNumIdle() == 0 && pacer.grow()) {
          open(pool);
          waited = true;
        }
        // While a connection is being opened, wait for it (or for a returned one) here: a borrower whose
        // wait runs out inside commons-pool while an object is being made spins until the make ends.
        waited |= pacer.awaitOpened(deadline);
        long left = deadline - (waited ? System.nanoTime() : now);
        try {
          Connection c = pool.borrowObject(waitFor(left, shortWait, pool));
          c.setHandlingPool((ConnectionPool) pool);
          return c;
        } catch (NoSuchElementException e) {
          long t = System.nanoTime();
          if (t - deadline >= 0) {
            long r = pool.getReturnedCount();
            if (r == returned || t - lastResort >= 0) {
              throw new JedisException("Could not get a resource from the pool", e);
            }
            // Connections were returned meanwhile, only to other waiters: starved, not leaked. Wait on,
            // up to the call's deadline, as long as connections keep coming back.
            returned = r;
            deadline = Math.min(t + maxWait, lastResort);
            continue;
          }
          if (!shortWait) {
            continue;
          }
          if (!watcher) {
            watcher = watching.compareAndSet(false, true);
          }
          if (watcher && pacer.grow()) {
            open(pool); // waiters persist: one more connection, at most one being opened
          }
          shortWait = watcher && pool.getMaxTotal() < pacer.ceiling;
        } catch (JedisException e) {
          throw e;
        } catch (Exception e) {
          throw new JedisException("Could not get a resource from the pool", e);
        }
      }
    } finally {
      started[0] = 0;
      if (watcher) {
        watching.set(false);
      }
    }
  }

  /**
   * How long one {@code borrowObject} may wait, {@code left} nanos before the borrow's deadline: a short wait while
   * the pool may still grow, else the rest. The common cases reuse a {@link Duration} the pool or this class
   * already holds (a command allocates none here): the short wait, and the whole {@code maxWait} of a first pass
   * that did not wait for an open (it then waits up to 1 ms past the deadline, which the caller checks in nanos).
   */
  private static Duration waitFor(long left, boolean shortWait, GenericObjectPool<Connection> pool) {
    if (shortWait && left > GROW_AFTER_NANOS) {
      return GROW_AFTER;
    }
    Duration maxWait = pool.getMaxWaitDuration();
    long maxWaitNanos = maxWait.toNanos();
    if (left <= maxWaitNanos && left > maxWaitNanos - ONE_MILLI_NANOS) {
      return maxWait;
    }
    // never 0: commons-pool would wait for a make without a bound
    return Duration.ofNanos(Math.max(left, ONE_MILLI_NANOS));
  }

  private static void open(GenericObjectPool<Connection> pool) {
    try {
      pool.addObject();
    } catch (JedisException e) {
      throw e;
    } catch (Exception e) {
      throw new JedisException("Could not get a resource from the pool", e);
    }
  }

  /** Wraps Jedis' connection factory: opens one connection at a time, shares failures, checks idle age. */
  static final class Pacer implements PooledObjectFactory<Connection> {
    /** When the current thread's borrow began (0 outside a borrow). */
    static final ThreadLocal<long[]> BORROW_STARTED = ThreadLocal.withInitial(() -> new long[1]);

    private final PooledObjectFactory<Connection> delegate;
    private final EndpointSocketFactory sockets;
    private final Map<Connection, Socket> socketOf = new ConcurrentHashMap<>();
    final int ceiling;
    private final long idleLimitNanos;
    private final boolean pingOnBorrow;
    private final long shareFailureNanos;
    private final Runnable onConnected;
    private GenericObjectPool<Connection> pool;
    private int live; // guarded by this
    private volatile int opening; // written under this
    private long opened; // guarded by this
    private volatile boolean connected;
    private volatile Failure lastFailure;

    private static final java.util.Set<Failures.Kind> SHARED = java.util.EnumSet.of(Failures.Kind.CONNECT,
        Failures.Kind.CONNECT_TIMEOUT, Failures.Kind.CLOSED, Failures.Kind.TIMEOUT);

    private record Failure(Exception cause, long endedNanos) {}

    Pacer(PooledObjectFactory<Connection> delegate, EndpointSocketFactory sockets, int ceiling, Duration idleLimit,
        boolean pingOnBorrow, Duration shareFailureFor, Runnable onConnected) {
      this.delegate = delegate;
      this.sockets = sockets;
      this.ceiling = ceiling;
      this.idleLimitNanos = idleLimit.toNanos();
      this.pingOnBorrow = pingOnBorrow;
      this.shareFailureNanos = shareFailureFor.toNanos();
      this.onConnected = onConnected;
    }

    synchronized void attach(GenericObjectPool<Connection> pool) {
      this.pool = pool;
      pool.setMaxTotal(Math.min(1, ceiling)); // one connection first
    }

    private int awaiting; // guarded by this
    private long changes; // guarded by this: opens finished and connections returned

    /**
     * Returns when no connection is being opened, one was returned, or {@value PacedConnectionProvider#GROW_AFTER_MILLIS} ms passed (at
     * the latest at {@code deadlineNanos}); true when a connection was being opened (the caller may have waited).
     * Nothing is locked while none is being opened: the common case of every command.
     */
    boolean awaitOpened(long deadlineNanos) {
      if (opening == 0) {
        return false;
      }
      awaitOpening(Math.min(deadlineNanos, System.nanoTime() + GROW_AFTER_NANOS));
      return true;
    }

    private synchronized void awaitOpening(long untilNanos) {
      long seen = changes;
      awaiting++;
      try {
        while (opening > 0 && changes == seen) {
          long ms = TimeUnit.NANOSECONDS.toMillis(untilNanos - System.nanoTime());
          if (ms <= 0) {
            return;
          }
          try {
            wait(ms);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      } finally {
        awaiting--;
      }
    }

    private synchronized void changed() {
      changes++;
      if (awaiting > 0) {
        notifyAll();
      }
    }

    synchronized int live() {
      return live;
    }

    synchronized long opened() {
      return opened;
    }

    /** A borrower has waited without getting a connection: allow one more, if none is being opened. */
    synchronized boolean grow() {
      int cap = pool.getMaxTotal();
      // An idle connection while someone waits is a hand-off in progress (the waiter is being woken), not
      // a shortage.
      if (opening == 0 && cap < ceiling && live >= cap && pool.getNumIdle() == 0) {
        pool.setMaxTotal(cap + 1);
        return true;
      }
      return false;
    }

    @Override
    public PooledObject<Connection> makeObject() throws Exception {
      Failure f = lastFailure;
      long now = System.nanoTime();
      if (f != null) {
        long started = BORROW_STARTED.get()[0];
        boolean waitedForIt = started != 0 && f.endedNanos - started >= 0;
        if (waitedForIt || now - f.endedNanos < shareFailureNanos) {
          throw new JedisConnectionException("not dialled again: the connection attempt just before failed "
              + TimeUnit.NANOSECONDS.toMillis(now - f.endedNanos) + " ms ago (" + Failures.shortCause(f.cause)
              + ")", f.cause);
        }
      }
      synchronized (this) {
        opening++;
      }
      PooledObject<Connection> p;
      try {
        p = delegate.makeObject();
      } catch (Exception e) {
        // Only a dial that failed is shared; AUTH, TLS or token failures are not (an IAM retry must dial
        // with its new token).
        lastFailure = SHARED.contains(Failures.classify(e)) ? new Failure(e, System.nanoTime()) : null;
        throw e;
      } finally {
        synchronized (this) {
          opening--;
          changed();
        }
      }
      lastFailure = null;
      Socket socket = sockets.takeCreated();
      if (socket != null) {
        socketOf.put(p.getObject(), socket);
      }
      synchronized (this) {
        live++;
        opened++;
      }
      if (!connected) {
        connected = true;
        onConnected.run();
      }
      return p;
    }

    @Override
    public void destroyObject(PooledObject<Connection> p) throws Exception {
      synchronized (this) {
        live--;
        // Never more than one connection being opened: a failover that breaks every connection is
        // followed by one probe connection, then growth.
        int cap = pool.getMaxTotal();
        int lower = Math.max(1, Math.min(cap, live + 1));
        if (lower != cap) {
          pool.setMaxTotal(lower);
        }
      }
      socketOf.remove(p.getObject());
      delegate.destroyObject(p);
    }

    @Override
    public boolean validateObject(PooledObject<Connection> p) {
      if (BORROW_STARTED.get()[0] == 0) {
        // the evictor thread (backgroundEviction) PINGs; anything else borrowing directly is not slowed
        return !pool.getTestWhileIdle() || delegate.validateObject(p);
      }
      long idle = idleNanos(p);
      if (idle > idleLimitNanos) {
        return false; // idle past the limit: the path may have forgotten it; replaced, nothing sent
      }
      if (idle >= CHECK_AFTER_IDLE_NANOS && !StaleConnections.open(socketOf.get(p.getObject()))) {
        return false; // closed by the server while idle; replaced, nothing sent
      }
      return !pingOnBorrow || delegate.validateObject(p);
    }

    /**
     * How long {@code p} sat idle before this borrow: from its return (or creation) to its hand-out, both instants
     * the pool recorded. ({@code getIdleDuration()} would allocate an {@code Instant} and a {@code Duration} per
     * borrow, the larger part of what a command cost over raw Jedis.)
     */
    private static long idleNanos(PooledObject<Connection> p) {
      Instant from = p.getLastReturnInstant();
      Instant to = p.getLastBorrowInstant();
      long nanos = (to.getEpochSecond() - from.getEpochSecond()) * 1_000_000_000L + (to.getNano() - from.getNano());
      return Math.max(0, nanos);
    }

    /**
     * Reads with a 1 ms timeout: a healthy idle RESP connection has nothing to read, so the read times out;
     * end of stream (the server's FIN), a reset, or any byte no request asked for (a TLS close_notify) means
     * the connection is dead.
     */
    @Override
    public void activateObject(PooledObject<Connection> p) throws Exception {
      delegate.activateObject(p);
    }

    @Override
    public void passivateObject(PooledObject<Connection> p) throws Exception {
      delegate.passivateObject(p);
      if (opening > 0) {
        changed(); // a connection comes back while one is being opened: the waiters may take it
      }
    }
  }
}
