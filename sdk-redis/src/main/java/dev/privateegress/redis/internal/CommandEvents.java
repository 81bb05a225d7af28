package dev.privateegress.redis.internal;

import dev.privateegress.EgressListener;
import java.time.Duration;

/**
 * The listener events of one client's commands: {@code attempt} for each try (each time the command
 * is written, and each failed connection set-up before it), {@code callEnded} once per command, and
 * {@code redisAmbiguous} for every {@link dev.privateegress.redis.AmbiguousCommandException}, all named
 * by the client's {@link Endpoint#target()}.
 *
 * <p>With the default no-op listener, {@link #on()} is false and the command path skips the clock
 * reads and the counting altogether, so a successful command allocates nothing here. A configured
 * listener costs a {@link Duration} per attempt. Tries are counted per thread (a command runs on its
 * caller's thread, and in a cluster follows its redirects there).
 */
public final class CommandEvents {
  private final EgressListener listener;
  private final String target;
  private final boolean on;
  private final ThreadLocal<Tries> tries;

  /** The tries of the command running on a thread. */
  private static final class Tries {
    int n;
  }

  /** @param listener the egress listener; {@link EgressListener#NONE} turns the attempt events off */
  public CommandEvents(EgressListener listener, String target) {
    this.listener = listener;
    this.target = target;
    this.on = listener != EgressListener.NONE;
    this.tries = on ? ThreadLocal.withInitial(Tries::new) : null;
  }

  /** Whether attempt and call events are emitted (a listener other than the no-op is configured). */
  public boolean on() {
    return on;
  }

  /** The target named in events. */
  public String target() {
    return target;
  }

  /** One try finished; {@code startNanos} from {@link System#nanoTime()}. No-op when {@link #on()} is false. */
  public void attempt(String outcome, long startNanos) {
    if (on) {
      int n = ++tries.get().n;
      listener.attempt(target, n, outcome, Duration.ofNanos(System.nanoTime() - startNanos));
    }
  }

  /** The command ended; resets the count of tries. No-op when {@link #on()} is false. */
  public void ended(boolean succeeded) {
    if (on) {
      Tries t = tries.get();
      int n = Math.max(1, t.n);
      t.n = 0;
      listener.callEnded(target, n, succeeded);
    }
  }

  /** A command may have run and was not re-sent (always reported, whatever the listener). */
  public void ambiguous(String command) {
    listener.redisAmbiguous(target, command);
  }

  /** The outcome name of a failed try, from its kind. */
  static String outcome(Failures.Kind kind) {
    return switch (kind) {
      case CONNECT -> "connect";
      case CONNECT_TIMEOUT -> "connect-timeout";
      case TIMEOUT -> "timeout";
      case CLOSED -> "reset";
      case DNS -> "dns";
      case TLS_UNTRUSTED, TLS_HOSTNAME, TLS_HANDSHAKE -> "tls";
      case AUTH -> "auth";
      case TOKEN -> "token";
      default -> "io";
    };
  }
}
