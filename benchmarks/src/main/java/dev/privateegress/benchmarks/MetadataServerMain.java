package dev.privateegress.benchmarks;

import dev.privateegress.testing.FakeMetadataServer;
import java.io.IOException;
import java.time.Clock;

/**
 * Runs the SDK's {@link FakeMetadataServer} in its own process for {@code benchmarks/run.sh}: on the port
 * given (0 for any free one), until standard input closes or the process is killed. Prints
 * {@code 127.0.0.1:PORT} once listening.
 */
public final class MetadataServerMain {
  private MetadataServerMain() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    try (FakeMetadataServer server = FakeMetadataServer.start(Clock.systemUTC(), port)) {
      System.out.println(server.hostPort());
      System.out.flush();
      while (System.in.read() >= 0) {
        // keep serving until run.sh closes our input
      }
      Thread.sleep(Long.MAX_VALUE);
    }
  }
}
