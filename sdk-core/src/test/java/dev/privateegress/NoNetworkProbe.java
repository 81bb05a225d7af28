package dev.privateegress;

import java.io.IOException;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Run in a fresh JVM by {@link OffGoogleCloudStartupTest}: forbids every socket, then does what an
 * application does at start-up and prints what happened.
 */
public final class NoNetworkProbe {
  private NoNetworkProbe() {}

  public static void main(String[] args) throws IOException {
    AtomicInteger sockets = new AtomicInteger();
    Socket.setSocketImplFactory(() -> {
      sockets.incrementAndGet();
      throw new IllegalStateException("network call attempted");
    });
    long t0 = System.nanoTime();
    PrivateEgress egress = PrivateEgress.fromEnvironment();
    Platform platform = egress.platform();
    long micros = (System.nanoTime() - t0) / 1000;
    String project = egress.project().orElse("-");
    String region = egress.region().orElse("-");
    String mode = egress.knownEgress().mode().id();
    System.out.println("platform=" + platform + " project=" + project + " region=" + region + " mode=" + mode
        + " sockets=" + sockets.get() + " micros=" + micros);
  }
}
