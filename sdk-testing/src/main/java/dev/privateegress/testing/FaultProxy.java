package dev.privateegress.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on loopback that injects network faults between a client under test and a real server.
 *
 * <pre>{@code
 * try (FaultProxy proxy = FaultProxy.start(server.getPort())) {
 *   proxy.enqueue(FaultProxy.Behavior.reset());          // first connection: RST at once
 *   proxy.defaultBehavior(FaultProxy.Behavior.pass());   // every later one: forwarded
 *   // point the client at 127.0.0.1:proxy.port()
 * }
 * }</pre>
 *
 * <p>Each accepted connection takes the next queued {@link Behavior}, or the default one when the queue is
 * empty. {@link #refuseConnections()} makes connects fail with "connection refused" (as when a server is
 * down: a TCP RST answers the SYN, so the client's connect itself fails and nothing is sent) until
 * {@link #acceptConnections()} listens on the same port again. A true refusal needs the port to have no
 * listening socket, so the listener is closed; to keep the port from being taken meanwhile, a bound but
 * non-listening socket holds it (both share the port through {@code SO_REUSEPORT}). Where the platform lacks
 * {@code SO_REUSEPORT} (e.g. Windows) the port is free while refusing, another process could bind it, and
 * {@link #acceptConnections()} then fails with an {@link IllegalStateException} naming the port. JDK only;
 * threads are daemons and stop on {@link #close()}.
 */
public final class FaultProxy implements AutoCloseable {
  /** Whether a listener and a placeholder can share a port, so that refusing never frees it. */
  private static final boolean REUSE_PORT = supportsReusePort();

  private final InetSocketAddress upstream;
  private final ExecutorService executor;
  private final Deque<Behavior> queue = new ArrayDeque<>();
  private final List<Socket> open = new ArrayList<>();
  /** One flag per forwarded connection: set, its bytes are swallowed in both directions. */
  private final List<java.util.concurrent.atomic.AtomicBoolean> flows = new ArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private volatile Behavior defaultBehavior = Behavior.pass();
  private volatile ServerSocket server;
  /** Holds the port while refusing: bound, never listening, so SYNs are answered with RST. */
  private Socket placeholder;
  /** The thread blocked in {@code accept()} on {@link #server}. */
  private volatile Future<?> acceptTask;
  private final int port;
  private volatile boolean closed;

  private FaultProxy(InetSocketAddress upstream) throws IOException {
    this.upstream = upstream;
    this.executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fault-proxy");
      t.setDaemon(true);
      return t;
    });
    ServerSocket s = bind(0);
    this.port = s.getLocalPort();
    listen(s);
  }

  /**
   * Starts a proxy on a free loopback port forwarding to {@code 127.0.0.1:upstreamPort}.
   *
   * @param upstreamPort the port of the real server on loopback
   * @return a listening proxy; close it when done
   * @throws IllegalStateException when no loopback port can be bound
   */
  public static FaultProxy start(int upstreamPort) {
    return start(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort));
  }

  /**
   * Starts a proxy on a free loopback port forwarding to {@code upstream} (a loopback address in tests).
   *
   * @param upstream the real server's address
   * @return a listening proxy; close it when done
   * @throws IllegalStateException when no loopback port can be bound
   */
  public static FaultProxy start(InetSocketAddress upstream) {
    try {
      return new FaultProxy(Objects.requireNonNull(upstream, "upstream"));
    } catch (IOException e) {
      throw new IllegalStateException("cannot start fault proxy on loopback", e);
    }
  }

  /**
   * The loopback port clients connect to; the same for the proxy's whole life.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * The address clients connect to, as text.
   *
   * @return {@code 127.0.0.1:PORT} (the loopback address and {@link #port()})
   */
  public String hostPort() {
    return InetAddress.getLoopbackAddress().getHostAddress() + ":" + port;
  }

  /**
   * Connections accepted so far (refused connects are not counted: they never reach the proxy).
   *
   * @return the count since start
   */
  public int acceptedConnections() {
    return accepted.get();
  }

  /**
   * Queues behaviours for the next accepted connections, in order.
   *
   * @param behaviors one per connection, taken first to last
   * @return this proxy
   */
  public FaultProxy enqueue(Behavior... behaviors) {
    synchronized (queue) {
      for (Behavior b : behaviors) {
        queue.add(Objects.requireNonNull(b, "behavior"));
      }
    }
    return this;
  }

  /**
   * Sets the behaviour of connections accepted while the queue is empty ({@link Behavior#pass()} at first).
   *
   * @param behavior the new default
   * @return this proxy
   */
  public FaultProxy defaultBehavior(Behavior behavior) {
    this.defaultBehavior = Objects.requireNonNull(behavior, "behavior");
    return this;
  }

  /**
   * Stops listening: once this returns, connects to {@link #port()} are refused until
   * {@link #acceptConnections()}. Connections already accepted keep their behaviour.
   *
   * @return this proxy
   */
  public synchronized FaultProxy refuseConnections() {
    ServerSocket s = server;
    if (s == null) {
      return this;
    }
    server = null;
    if (!closed) {
      placeholder = hold(port); // before the listener closes, so the port is never free
    }
    closeQuietly(s);
    // A thread blocked in accept() keeps the kernel's listening socket alive until it wakes up, so a connect
    // right after close() could still be accepted: wait until the loop is out of accept().
    try {
      acceptTask.get(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException | CancellationException e) {
      // the loop failed or is stuck; the socket is closed either way
    }
    return this;
  }

  /**
   * Listens again on the same port after {@link #refuseConnections()}; does nothing while listening.
   *
   * @return this proxy
   * @throws IllegalStateException when the port cannot be bound again (only possible without
   *     {@code SO_REUSEPORT}, see the class description)
   */
  public synchronized FaultProxy acceptConnections() {
    if (server != null || closed) {
      return this;
    }
    try {
      listen(bind(port)); // shares the port with the placeholder, which is released only afterwards
    } catch (IOException e) {
      throw new IllegalStateException("cannot listen again on loopback port " + port
          + " (taken by another socket while connections were refused)", e);
    }
    closeQuietly(placeholder);
    placeholder = null;
    return this;
  }

  private static boolean supportsReusePort() {
    try (ServerSocket s = new ServerSocket(); Socket c = new Socket()) {
      return s.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)
          && c.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT);
    } catch (IOException e) {
      return false;
    }
  }

  private static ServerSocket bind(int port) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    if (REUSE_PORT) {
      s.setOption(StandardSocketOptions.SO_REUSEPORT, true);
    }
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
    return s;
  }

  /** A socket bound to {@code port} that never listens; null when the platform cannot share the port. */
  private static Socket hold(int port) {
    if (!REUSE_PORT) {
      return null;
    }
    Socket h = new Socket();
    try {
      // No SO_REUSEADDR: while it is bound, only a socket that also sets SO_REUSEPORT (ours) can bind here.
      h.setOption(StandardSocketOptions.SO_REUSEPORT, true);
      h.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return h;
    } catch (IOException | RuntimeException e) {
      closeQuietly(h);
      return null; // refusing still works; only the port is unguarded until acceptConnections()
    }
  }

  private void listen(ServerSocket s) {
    server = s;
    acceptTask = executor.submit(() -> acceptLoop(s));
  }

  private void acceptLoop(ServerSocket s) {
    while (!s.isClosed()) {
      Socket client;
      try {
        client = s.accept();
      } catch (IOException e) {
        return; // closed by refuseConnections() or close()
      }
      accepted.incrementAndGet();
      Behavior b;
      synchronized (queue) {
        b = queue.isEmpty() ? defaultBehavior : queue.poll();
      }
      track(client);
      Behavior behavior = b;
      executor.execute(() -> handle(client, behavior));
    }
  }

  private void handle(Socket client, Behavior b) {
    try {
      if (!b.delay.isZero()) {
        Thread.sleep(b.delay.toMillis());
      }
      switch (b.kind) {
        case RESET -> reset(client);
        case BLACK_HOLE -> drain(client);
        case RESET_AFTER_READING -> {
          InputStream in = client.getInputStream();
          long seen = 0;
          byte[] buf = new byte[8192];
          while (seen < b.bytes) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, b.bytes - seen));
            if (n < 0) {
              break;
            }
            seen += n;
          }
          reset(client);
        }
        case PASS, CUT_AFTER -> forward(client, b);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeQuietly(client);
    } catch (IOException e) {
      closeQuietly(client);
    }
  }

  private void forward(Socket client, Behavior b) throws IOException {
    Socket up = new Socket();
    track(up);
    try {
      up.connect(upstream, 5_000);
    } catch (IOException e) {
      reset(client);
      closeQuietly(up);
      return;
    }
    long limit = b.kind == Kind.CUT_AFTER ? b.bytes : Long.MAX_VALUE;
    java.util.concurrent.atomic.AtomicBoolean dropped = new java.util.concurrent.atomic.AtomicBoolean();
    synchronized (flows) {
      flows.add(dropped);
    }
    executor.execute(() -> pump(client, up, Long.MAX_VALUE, client, up, dropped));
    pump(up, client, limit, client, up, dropped);
  }

  /**
   * Forgets every connection forwarded so far, as a NAT mapping or a connection-tracking entry that
   * expired on an idle flow: from now on their bytes are swallowed in both directions, nothing is answered,
   * and neither side gets a FIN or a RST (a client waits for its read timeout). Connections accepted later
   * are forwarded as usual.
   *
   * @return this proxy
   */
  public FaultProxy forgetOpenConnections() {
    synchronized (flows) {
      flows.forEach(f -> f.set(true));
      flows.clear();
    }
    return this;
  }

  /** Copies from one socket to the other; after {@code limit} bytes resets both. */
  private void pump(Socket from, Socket to, long limit, Socket client, Socket up,
      java.util.concurrent.atomic.AtomicBoolean dropped) {
    byte[] buf = new byte[8192];
    long copied = 0;
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      while (true) {
        int max = (int) Math.min(buf.length, limit - copied);
        if (max <= 0) {
          reset(client);
          reset(up);
          return;
        }
        int n = in.read(buf, 0, max);
        if (n < 0) {
          if (!dropped.get()) {
            to.shutdownOutput();
          }
          return;
        }
        if (dropped.get()) {
          continue; // a forgotten flow: swallowed silently
        }
        out.write(buf, 0, n);
        out.flush();
        copied += n;
      }
    } catch (IOException e) {
      closeQuietly(client);
      closeQuietly(up);
    }
  }

  private static void drain(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    byte[] buf = new byte[8192];
    while (in.read(buf) >= 0) {
      // swallow everything, answer nothing
    }
    s.close();
  }

  /** Closes with SO_LINGER 0 so the peer receives a TCP RST instead of a FIN. */
  private static void reset(Socket s) {
    try {
      s.setSoLinger(true, 0);
    } catch (SocketException ignored) {
      // already closed
    }
    closeQuietly(s);
  }

  private void track(Socket s) {
    synchronized (open) {
      open.removeIf(Socket::isClosed);
      open.add(s);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception ignored) {
      // best effort
    }
  }

  /** Stops listening, closes every proxied connection and stops the threads. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      refuseConnections();
      closeQuietly(placeholder);
      placeholder = null;
    }
    synchronized (open) {
      open.forEach(FaultProxy::closeQuietly);
      open.clear();
    }
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return "FaultProxy{" + hostPort() + " -> " + upstream + ", accepted=" + accepted.get() + "}";
  }

  private enum Kind { PASS, RESET, BLACK_HOLE, RESET_AFTER_READING, CUT_AFTER }

  /** What the proxy does with one accepted connection. Immutable. */
  public static final class Behavior {
    private final Kind kind;
    private final long bytes;
    private final Duration delay;

    private Behavior(Kind kind, long bytes, Duration delay) {
      this.kind = kind;
      this.bytes = bytes;
      this.delay = delay;
    }

    /**
     * Forward both directions unchanged.
     *
     * @return the behaviour
     */
    public static Behavior pass() {
      return new Behavior(Kind.PASS, 0, Duration.ZERO);
    }

    /**
     * Send a TCP RST at once, before reading anything.
     *
     * @return the behaviour
     */
    public static Behavior reset() {
      return new Behavior(Kind.RESET, 0, Duration.ZERO);
    }

    /**
     * Accept, read and discard everything, never answer (until the client gives up).
     *
     * @return the behaviour
     */
    public static Behavior blackHole() {
      return new Behavior(Kind.BLACK_HOLE, 0, Duration.ZERO);
    }

    /**
     * Read {@code requestBytes} bytes from the client (nothing is forwarded), then send a TCP RST.
     *
     * @param requestBytes how many bytes to read first, at least 1
     * @return the behaviour
     * @throws IllegalArgumentException when {@code requestBytes} is below 1
     */
    public static Behavior resetAfterReading(long requestBytes) {
      if (requestBytes < 1) {
        throw new IllegalArgumentException("requestBytes must be >= 1, was " + requestBytes);
      }
      return new Behavior(Kind.RESET_AFTER_READING, requestBytes, Duration.ZERO);
    }

    /**
     * Forward, but reset both sides after {@code responseBytes} bytes went from the server to the client.
     *
     * @param responseBytes how many response bytes get through, 0 or more
     * @return the behaviour
     * @throws IllegalArgumentException when {@code responseBytes} is negative
     */
    public static Behavior cutAfter(long responseBytes) {
      if (responseBytes < 0) {
        throw new IllegalArgumentException("responseBytes must be >= 0, was " + responseBytes);
      }
      return new Behavior(Kind.CUT_AFTER, responseBytes, Duration.ZERO);
    }

    /**
     * The same behaviour, started only after {@code delay} (nothing is read or forwarded meanwhile).
     *
     * @param delay how long to wait after accepting, not negative
     * @return a new behaviour; this one is unchanged
     * @throws IllegalArgumentException when {@code delay} is negative
     */
    public Behavior delayed(Duration delay) {
      if (delay.isNegative()) {
        throw new IllegalArgumentException("delay must not be negative, was " + delay);
      }
      return new Behavior(kind, bytes, delay);
    }

    @Override
    public String toString() {
      return kind.name().toLowerCase(java.util.Locale.ROOT)
          + (kind == Kind.RESET_AFTER_READING || kind == Kind.CUT_AFTER ? "(" + bytes + ")" : "")
          + (delay.isZero() ? "" : " after " + delay);
    }
  }
}
