package dev.privateegress.redis.internal;

import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.commons.pool2.impl.GenericObjectPool;
import redis.clients.jedis.Connection;

/**
 * Pool upkeep without a background thread: when a command arrives and at least {@code interval} has
 * passed since the last sweep, the calling thread runs the pool's eviction pass once. Connections idle
 * longer than the eviction limit are closed without a round trip (after ~10 minutes a VPC connector or
 * Direct VPC path may have dropped them silently, so a PING would only wait for the socket timeout);
 * the others are validated with PING. One thread sweeps at a time; the others go on.
 */
public final class IdleMaintenance {
  private final Supplier<Collection<? extends GenericObjectPool<Connection>>> pools;
  private final long intervalNanos;
  private final AtomicLong lastSweep;
  private final AtomicLong sweeping = new AtomicLong();

  public IdleMaintenance(Supplier<Collection<? extends GenericObjectPool<Connection>>> pools, Duration interval) {
    this.pools = pools;
    this.intervalNanos = interval.toNanos();
    this.lastSweep = new AtomicLong(System.nanoTime());
  }

  /** Cheap when not due: one volatile read. */
  public void maybeSweep() {
    long now = System.nanoTime();
    long last = lastSweep.get();
    if (now - last < intervalNanos || !lastSweep.compareAndSet(last, now)) {
      return;
    }
    if (!sweeping.compareAndSet(0, 1)) {
      return;
    }
    try {
      for (GenericObjectPool<Connection> pool : pools.get()) {
        try {
          pool.evict();
        } catch (Exception e) {
          // a failed validation just means fewer idle connections
        }
      }
    } finally {
      sweeping.set(0);
    }
  }
}
