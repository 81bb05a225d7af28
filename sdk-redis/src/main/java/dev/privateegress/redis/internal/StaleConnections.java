package dev.privateegress.redis.internal;

import java.io.IOException;
import java.lang.reflect.Field;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import redis.clients.jedis.Connection;

/**
 * Finds pooled connections that the server (Redis {@code timeout}, Memorystore's idle timeout) or the
 * network (VPC idle connection tracking) closed while they sat idle, before a command is written to
 * them. Such a connection would fail after the command was sent, and the command would be reported as
 * ambiguous although it never ran.
 *
 * <p>A connection idle for at least {@value #CHECK_AFTER_IDLE_MILLIS} ms is checked the way OkHttp
 * checks an idle HTTP connection before a request: read with a 1 ms timeout. A healthy idle RESP2
 * connection has nothing to read, so the read times out; end of stream (the server's FIN), a reset, or
 * any unexpected byte (a TLS close_notify) means the connection is dead, and it is closed and replaced
 * before anything is written. Connections in use are never checked, so busy clients pay nothing; an idle
 * one pays about 1 ms once (so does a new connection's first command). Redis' smallest {@code timeout}
 * is 1 s, well above the threshold.
 *
 * <p>A standalone client's pool checks at hand-out with {@link #open} on the sockets its factory created
 * ({@link PacedConnectionProvider}) and needs no instance of this class. Jedis' cluster pools are created inside
 * Jedis with its own socket factory and offer no such hook on Jedis 7.0 to 8, so a cluster client reads
 * the socket reflectively ({@link #REFLECTIVE}).
 *
 * <p>The last use of each connection is kept in a map keyed by identity (an entry is allocated once
 * per connection); closed connections are dropped from it by the idle sweep ({@link #forgetClosed}).
 */
final class StaleConnections {
  static final long CHECK_AFTER_IDLE_MILLIS = 250;
  private static final long CHECK_AFTER_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(CHECK_AFTER_IDLE_MILLIS);
  private static final Field SOCKET = socketField();

  /** Reads {@code Connection.socket}: cluster clients only, where Jedis creates the sockets. */
  static final Function<Connection, Socket> REFLECTIVE = StaleConnections::reflectiveSocket;

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

  private static Field socketField() {
    try {
      Field f = Connection.class.getDeclaredField("socket");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null; // a Jedis without the field: connections are used unchecked, as before
    }
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

  private static Socket reflectiveSocket(Connection c) {
    try {
      return SOCKET == null ? null : (Socket) SOCKET.get(c);
    } catch (IllegalAccessException e) {
      return null;
    }
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
