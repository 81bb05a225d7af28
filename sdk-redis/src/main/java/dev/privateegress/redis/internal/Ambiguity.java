package dev.privateegress.redis.internal;

import dev.privateegress.redis.AmbiguousCommandException;
import java.nio.charset.StandardCharsets;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisConnectionException;

/** Builds the exception for a command whose outcome is unknown. */
final class Ambiguity {
  private Ambiguity() {}

  /**
   * @param answered whether this client ever got a reply: a server that closes connections before any
   *     reply may be a TLS port spoken to in plaintext, one that closes them after serving is restarting
   */
  static AmbiguousCommandException of(CommandObject<?> command, String where, JedisConnectionException e,
      Endpoint ep, boolean answered) {
    String name = commandName(command);
    String hint = "";
    if (!ep.tls() && !answered && Failures.classify(e) == Failures.Kind.CLOSED) {
      hint = " If this port expects TLS (Memorystore with in-transit encryption listens on 6378), use "
          + "rediss:// and REDIS_TLS_CA.";
    }
    return new AmbiguousCommandException(name, "connection to " + where + " failed after " + name
        + " was sent (" + Failures.shortCause(e) + "); it may or may not have run, so it was not sent again. "
        + "Retry it yourself only if running it twice is harmless (PrivateRedis.retrying)." + hint, e);
  }

  static String commandName(CommandObject<?> command) {
    try {
      ProtocolCommand r = command.getArguments().getCommand();
      return new String(r.getRaw(), StandardCharsets.UTF_8).toUpperCase(java.util.Locale.ROOT);
    } catch (RuntimeException e) {
      return "command";
    }
  }
}
