package dev.privateegress.http.internal;

import dev.privateegress.EgressListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import okhttp3.Call;
import okhttp3.Connection;
import okhttp3.EventListener;
import okhttp3.Protocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one call's events (added with {@link Call#addEventListener}, so any listener factory the user
 * configured keeps working) to tell, after a failed attempt, how far it got: whether a connection was
 * acquired, whether it was a reused pooled connection, and above all whether
 * {@code requestHeadersStart} happened. Before that event no byte of the request was written, which is
 * the proof that even a POST may be sent again.
 */
final class AttemptTracker extends EventListener {
  private static final Logger log = LoggerFactory.getLogger(AttemptTracker.class);

  private final EgressListener listener;
  private volatile boolean connectStarted;
  private volatile boolean connectionAcquired;
  private volatile boolean requestStarted;

  AttemptTracker(EgressListener listener) {
    this.listener = listener;
  }

  /** Forgets the previous attempt. */
  void startAttempt() {
    connectStarted = false;
    connectionAcquired = false;
    requestStarted = false;
  }

  /** A connection was acquired for this attempt (fresh or pooled). */
  boolean connectionAcquired() {
    return connectionAcquired;
  }

  /** The attempt used a pooled connection: acquired without connecting. */
  boolean reusedConnection() {
    return connectionAcquired && !connectStarted;
  }

  /** OkHttp began writing the request: from here on the server may have received it. */
  boolean requestStarted() {
    return requestStarted;
  }

  // Guarded by this: the thread sleeping before a retry, and whether cancel() interrupted it.
  private Thread waiting;
  private boolean interruptedByCancel;

  /**
   * The calling thread is about to sleep before a retry: {@link Call#cancel()} interrupts it from now
   * until {@link #endWait()}, as cancel cuts short any other wait of an OkHttp call.
   */
  synchronized void beginWait(Call call) {
    waiting = Thread.currentThread();
    if (call.isCanceled()) {
      interruptedByCancel = true;
      waiting.interrupt();
    }
  }

  /** The wait is over; clears an interrupt that came from {@code cancel()}, which is not the caller's. */
  synchronized void endWait() {
    waiting = null;
    if (interruptedByCancel) {
      interruptedByCancel = false;
      Thread.interrupted();
    }
  }

  @Override
  public synchronized void canceled(Call call) {
    if (waiting != null && !interruptedByCancel) {
      interruptedByCancel = true;
      waiting.interrupt();
    }
  }

  @Override
  public void connectStart(Call call, InetSocketAddress address, Proxy proxy) {
    connectStarted = true;
  }

  @Override
  public void connectFailed(Call call, InetSocketAddress address, Proxy proxy, Protocol protocol, IOException e) {
    log.debug("connect to {} for {} failed: {}", address, call.request().url().host(), e.toString());
    listener.connectFailed(call.request().url().host(), address, e); // core's guarded listener: never throws
  }

  @Override
  public void connectionAcquired(Call call, Connection connection) {
    connectionAcquired = true;
  }

  @Override
  public void requestHeadersStart(Call call) {
    requestStarted = true;
  }

  @Override
  public void requestBodyStart(Call call) {
    requestStarted = true;
  }
}
