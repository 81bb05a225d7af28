package dev.privateegress.spring;

import dev.privateegress.testing.RedisLauncher;
import java.util.function.Function;

/**
 * A redis-server from the test kit's {@link RedisLauncher}, held through what the tests use of it (so the
 * tests do not depend on the name of the launcher's node type).
 */
final class TestRedis implements AutoCloseable {
  final String host;
  final int port;
  final String url;
  private final Runnable shutdown;
  private final Runnable restart;
  private final Function<String[], Object> command;
  private final AutoCloseable close;

  private TestRedis(String host, int port, String url, Runnable shutdown, Runnable restart,
      Function<String[], Object> command, AutoCloseable close) {
    this.host = host;
    this.port = port;
    this.url = url;
    this.shutdown = shutdown;
    this.restart = restart;
    this.command = command;
    this.close = close;
  }

  static TestRedis start() {
    var node = RedisLauncher.startPlain();
    return new TestRedis(node.host(), node.port(), node.url(), node::shutdown, node::restart, node::command, node);
  }

  static TestRedis startWithPassword(String password) {
    var node = RedisLauncher.builder().requirePass(password).start();
    return new TestRedis(node.host(), node.port(), node.url(), node::shutdown, node::restart, node::command, node);
  }

  /** Stops the server; {@link #restart()} starts it again on the same port. */
  void shutdown() {
    shutdown.run();
  }

  void restart() {
    restart.run();
  }

  Object command(String... args) {
    return command.apply(args);
  }

  /** Clients connected to the server, not counting the one asking. */
  long clients() {
    String list = String.valueOf(command("CLIENT", "LIST"));
    return list.lines().filter(l -> !l.isBlank()).count() - 1;
  }

  @Override
  public void close() throws Exception {
    close.close();
  }
}
