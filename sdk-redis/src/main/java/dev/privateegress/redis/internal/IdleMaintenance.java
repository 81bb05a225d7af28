package dev.privateegress.redis.internal;

import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.commons.pool2.impl.GenericObjectPool;
import redis.clients.jedis.Connection;

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
final class IdleMaintenance {
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
