package dev.privateegress.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/** Free loopback ports for the processes the test kit starts. */
final class Ports {
  private Ports() {}

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A data port whose cluster bus port (port + 10000) is free too, right now. */
  static int freePortWithBus() {
    for (int i = 0; i < 200; i++) {
      int p = ThreadLocalRandom.current().nextInt(20000, 30000);
      if (free(p) && free(p + 10000)) {
        return p;
      }
    }
    throw new IllegalStateException("no free port pair found on 127.0.0.1");
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
