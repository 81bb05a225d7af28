package dev.privateegress.redis;

import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.SenderContext;

/**
 * One try of one Redis command on one connection: the command's name only, never its arguments. A re-send by the
 * SDK's retry is another context with the next attempt number.
 */
public class RedisCommandContext extends SenderContext<Object> {
  private final String command;
  private final String host;
  private final int port;
  private final int database;
  private final int attempt;
  private String errorPrefix;
  private boolean ambiguous;

  public RedisCommandContext(String command, String host, int port, int database, int attempt) {
    super((carrier, key, value) -> { }, Kind.CLIENT); // RESP carries no trace context
    this.command = command;
    this.host = host;
    this.port = port;
    this.database = database;
    this.attempt = attempt;
  }

  /** The command's name ({@code INCR}, {@code GET}, ...). */
  public String command() {
    return command;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public int database() {
    return database;
  }

  /** 1 for the first try of the command, 2 and more for the SDK's re-sends. */
  public int attempt() {
    return attempt;
  }

  /** The error reply's prefix ({@code WRONGTYPE}, {@code NOAUTH}, ...), or null. */
  public String errorPrefix() {
    return errorPrefix;
  }

  public void errorPrefix(String prefix) {
    this.errorPrefix = prefix;
  }

  /** The connection broke after the command was written: it may or may not have run. */
  public boolean ambiguous() {
    return ambiguous;
  }

  public void ambiguous(boolean ambiguous) {
    this.ambiguous = ambiguous;
  }
}
