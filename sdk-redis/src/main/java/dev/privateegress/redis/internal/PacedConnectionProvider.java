package dev.privateegress.redis.internal;

import dev.privateegress.redis.internal.Endpoint.EndpointSocketFactory;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.apache.commons.pool2.PooledObject;
import org.apache.commons.pool2.PooledObjectFactory;
import org.apache.commons.pool2.impl.GenericObjectPool;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionFactory;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.providers.PooledConnectionProvider;

/**
 * The pool of a standalone endpoint or of one cluster node: it opens connections at the pace they are needed,
 * so that a fleet of instances does not open its whole pool at once at scale-out or after a failover.
 *
 * <ul>
 *   <li>At most one connection is being opened at a time. The pool's {@code maxTotal} is kept at the
 *       number of open connections plus one, so commons-pool itself lets only one borrower create while
 *       the others wait for that connection or for a returned one.
 *   <li>The pool grows by one, up to the configured {@code maxTotal}, when a borrower finds every connection
 *       busy and none being opened (waiters persist under sustained concurrency), and while borrowers keep
 *       waiting: one of them at a time (the watcher) opens one more each time {@value #GROW_AFTER_MILLIS} ms
 *       pass without a connection. A burst of commands on a new instance is served by about one connection
 *       while it is being opened; sustained concurrency grows the pool one connection at a time.
 *   <li>A connection that is closed lowers the limit with it: after a failover, when the old connections
 *       are found broken, one probe connection is opened first and the pool grows again only after it
 *       succeeded.
 *   <li>While the endpoint refuses or times out, borrowers share the outcome of the attempt in flight: a
 *       borrower that was waiting while it failed, or that comes within {@code shareFailureFor} after it,
 *       fails at once with the same cause instead of dialling again. Connect attempts then stay near one
 *       per instance per {@code shareFailureFor} (and per connect timeout), not one per request.
 *   <li>The pool is not a fair queue (a fair one cut throughput at 16 threads to a quarter of raw Jedis). A
 *       waiter that waited {@code maxWait} while connections kept being returned to others waits on, up to
 *       the call's deadline: the pool is busy, not leaking. Only when no connection came back for {@code
 *       maxWait} does the borrow fail (pool exhausted).
 *   <li>A connection idle longer than {@code idleLimit} is closed and replaced when it is next borrowed, on
 *       the caller's thread and without a round trip (idle flows the egress path forgot fail silently).
 *   <li>A connection idle for {@value #CHECK_AFTER_IDLE_MILLIS} ms or more is checked at borrow the way OkHttp
 *       checks an idle HTTP connection: read with a 1 ms timeout; end of stream, a reset or a stray byte
 *       means the server closed it, and it is replaced before anything is written. This covers whatever
 *       borrows through {@link #getConnection()}: commands, pipelines, transactions, subscriptions
 *       ({@link StaleConnections} checks connections Jedis takes from the pool directly). Once a command has
 *       found a connection broken, every connection that was idle at that moment is checked the same way before
 *       its next use, however briefly it was idle: a restart or {@code CLIENT KILL} closes them all together, and
 *       one command reported as possibly run is enough.
 * </ul>
 *
 * No thread is started; all of it runs on the borrowing thread ({@link IdleMaintenance}: the idle sweep).
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

  /** The socket the SDK's socket factory created for {@code c}, or null (a cluster's node lookup and stale check). */
  Socket socketOf(Connection c) {
    return pacer.socketOf.get(c);
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
    /**
     * When a connection was last found broken by a command (Jedis marks it, the pool destroys it). Whatever was
     * idle then was probably closed by the same event (a restart, {@code CLIENT KILL}, a failover): such a
     * connection is checked before it is handed out again, however briefly it was idle.
     */
    private volatile Instant brokenAt = Instant.EPOCH;

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
        lastFailure = Failures.classify(e).retryable() ? new Failure(e, System.nanoTime()) : null;
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
      if (p.getObject().isBroken()) {
        brokenAt = Instant.now(); // the pool's own clock: its instants are Instant.now() too
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
      boolean suspect = idle >= CHECK_AFTER_IDLE_NANOS || p.getLastReturnInstant().isBefore(brokenAt);
      if (suspect && !StaleConnections.open(socketOf.get(p.getObject()))) {
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

  /**
   * Finds pooled connections that the server (Redis {@code timeout}, Memorystore's idle timeout) or the
   * network (VPC idle connection tracking) closed while they sat idle, before a command is written to
   * them. Such a connection would fail after the command was sent, and the command would be reported as
   * ambiguous although it never ran.
   *
   * <p>A connection idle for at least {@value PacedConnectionProvider#CHECK_AFTER_IDLE_MILLIS} ms is checked the
   * way OkHttp checks an idle HTTP connection before a request: read with a 1 ms timeout. A healthy idle RESP2
   * connection has nothing to read, so the read times out; end of stream (the server's FIN), a reset, or
   * any unexpected byte (a TLS close_notify) means the connection is dead, and it is closed and replaced
   * before anything is written. Connections in use are never checked, so busy clients pay nothing; an idle
   * one pays about 1 ms once (so does a new connection's first command). Redis' smallest {@code timeout}
   * is 1 s, well above the threshold.
   *
   * <p>The pool itself checks what it hands out through {@link #getConnection()} with {@link #open} and needs no
   * instance of this class; a cluster's executor keeps one for the connections Jedis takes from a node's pool
   * directly (broadcast and, on Jedis 8, keyless commands), with the sockets of the node pools.
   *
   * <p>The last use of each connection is kept in a map keyed by identity (an entry is allocated once
   * per connection); closed connections are dropped from it by the idle sweep ({@link #forgetClosed}).
   */
  static final class StaleConnections {
    private final ConcurrentHashMap<Connection, LastUse> lastUsed = new ConcurrentHashMap<>();
    private final Function<Connection, Socket> socketOf;

    /** @param socketOf the socket of a connection, or null when unknown (the connection is used unchecked) */
    StaleConnections(Function<Connection, Socket> socketOf) {
      this.socketOf = socketOf;
    }

    /** When a connection last got a reply; written by the one thread that holds the connection. */
    private static final class LastUse {
      long nanos;
    }

    /**
     * False when {@code c} was idle long enough to be checked and turned out closed; the caller then
     * discards it ({@link #discard}) and borrows another. A connection without a recorded use is checked
     * too (once): it may have waited in the pool since it was opened.
     */
    public boolean usable(Connection c) {
      LastUse last = lastUsed.get(c);
      return last != null && System.nanoTime() - last.nanos < CHECK_AFTER_IDLE_NANOS || alive(c);
    }

    /** Records that {@code c} just got a reply. */
    public void used(Connection c) {
      LastUse last = lastUsed.get(c);
      if (last == null) {
        last = new LastUse();
        lastUsed.put(c, last);
      }
      last.nanos = System.nanoTime(); // one thread uses a connection at a time; the pool hands it over safely
    }

    /** Marks {@code c} broken and returns it, so the pool destroys it. Nothing was sent on it. */
    public void discard(Connection c) {
      lastUsed.remove(c);
      c.setBroken();
      try {
        c.close();
      } catch (RuntimeException e) {
        // already closed by the peer; the pool drops it either way
      }
    }

    /** Drops entries of connections that are closed (destroyed by the pool); run by the idle sweep. */
    public void forgetClosed() {
      lastUsed.keySet().removeIf(c -> !c.isConnected());
    }

    private boolean alive(Connection c) {
      return open(socketOf.apply(c));
    }

    /**
     * Whether {@code s} is still open: a 1 ms read finds the server's FIN or RST, or nothing to read. Null (not
     * connected yet: Jedis connects it when the command is sent) counts as open.
     */
    static boolean open(Socket s) {
      if (s == null) {
        return true;
      }
      if (s.isClosed() || s.isInputShutdown()) {
        return false;
      }
      int timeout;
      try {
        timeout = s.getSoTimeout();
      } catch (IOException e) {
        return false;
      }
      try {
        s.setSoTimeout(1);
        s.getInputStream().read(); // end of stream, or a byte no request asked for: either way unusable
        return false;
      } catch (SocketTimeoutException e) {
        return true; // nothing to read: the connection is open
      } catch (IOException e) {
        return false; // reset
      } finally {
        try {
          s.setSoTimeout(timeout);
        } catch (IOException e) {
          // the socket is gone; the command will find out on its own connection set-up
        }
      }
    }
  }

  /**
   * Pool upkeep without a background thread: when a command arrives and at least {@code interval} has
   * passed since the last sweep, the calling thread closes the connections that have been idle longer
   * than the eviction limit (after ~10 minutes a VPC connector or Direct VPC path may have dropped them
   * silently). The sweep never sends anything: a PING over a black-holed connection waits for the socket
   * timeout, and a request thread would wait that long for every idle connection of every node. A
   * connection that died in the meantime fails the command that uses it, like any connection failure.
   * Pools configured to validate idle connections ({@code testWhileIdle}) are left to commons-pool's
   * evictor thread, which is the only place such PINGs may run. One thread sweeps at a time; the others
   * go on.
   */
  static final class IdleMaintenance {
    private final Supplier<Collection<? extends GenericObjectPool<Connection>>> pools;
    private final long intervalNanos;
    private final AtomicLong lastSweep;
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private final Runnable alsoRun;

    /**
     * @param pools the pools to sweep (read at each sweep: cluster nodes come and go)
     * @param interval the least time between two sweeps
     * @param alsoRun bookkeeping to run after each sweep (forgetting closed connections)
     */
    public IdleMaintenance(Supplier<Collection<? extends GenericObjectPool<Connection>>> pools, Duration interval,
        Runnable alsoRun) {
      this.pools = pools;
      this.alsoRun = alsoRun;
      this.intervalNanos = interval.toNanos();
      this.lastSweep = new AtomicLong(System.nanoTime());
    }

    /** Sweeps when due. Cheap when not due: one volatile read. */
    public void maybeSweep() {
      long now = System.nanoTime();
      long last = lastSweep.get();
      if (now - last < intervalNanos || !lastSweep.compareAndSet(last, now)) {
        return;
      }
      if (!sweeping.compareAndSet(false, true)) {
        return;
      }
      try {
        for (GenericObjectPool<Connection> pool : pools.get()) {
          if (pool.getTestWhileIdle()) {
            continue; // evict() would PING every idle connection on this thread
          }
          try {
            pool.evict(); // by idle age only: closes sockets, no round trip
          } catch (Exception e) {
            // a connection that cannot be closed cleanly is gone anyway
          }
        }
        alsoRun.run();
      } finally {
        sweeping.set(false);
      }
    }
  }
}
