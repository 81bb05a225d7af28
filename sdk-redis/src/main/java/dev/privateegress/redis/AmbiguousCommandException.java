package dev.privateegress.redis;

import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The connection failed after a command was sent, so it may or may not have run on the server; the
 * SDK did not send it again. The cause is Jedis' {@link JedisConnectionException}.
 *
 * <p>Deliberately not a {@link JedisConnectionException}: Jedis' cluster executor retries those, and a
 * retried {@code INCRBY} is applied twice (redis/jedis#1812). Catch {@link JedisException} to handle
 * both. Re-run the command yourself only when running it twice is harmless, e.g. with {@link
 * PrivateRedis#retrying}.
 */
public final class AmbiguousCommandException extends JedisException {
  private static final long serialVersionUID = 1L;

  private final String command;

  /**
   * @param command the command name, e.g. {@code INCRBY} (never its arguments)
   * @param message what happened and what to do; must not contain arguments or secrets
   * @param cause the connection failure Jedis reported after the command was sent
   */
  public AmbiguousCommandException(String command, String message, JedisConnectionException cause) {
    super(message, cause);
    this.command = command;
  }

  /** The command name, e.g. {@code INCR} (never its arguments). */
  public String command() {
    return command;
  }
}
