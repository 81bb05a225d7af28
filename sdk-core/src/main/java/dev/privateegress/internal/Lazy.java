package dev.privateegress.internal;

import java.util.Objects;
import java.util.function.Supplier;

/** Thread-safe memoization that never runs the supplier twice and never holds a lock while peeking. */
public final class Lazy<T> implements Supplier<T> {
  private final Supplier<T> supplier;
  private volatile T value;

  public Lazy(Supplier<T> supplier) {
    this.supplier = Objects.requireNonNull(supplier, "supplier");
  }

  @Override
  public T get() {
    T v = value;
    if (v == null) {
      synchronized (this) {
        v = value;
        if (v == null) {
          v = Objects.requireNonNull(supplier.get());
          value = v;
        }
      }
    }
    return v;
  }

  /** The value if {@link #get()} already produced it, else null; never computes. */
  public T peek() {
    return value;
  }
}
