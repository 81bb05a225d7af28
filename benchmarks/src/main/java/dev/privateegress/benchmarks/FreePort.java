package dev.privateegress.benchmarks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Prints a loopback TCP port that is free right now, for {@code benchmarks/run.sh}. */
public final class FreePort {
  private FreePort() {}

  public static void main(String[] args) throws IOException {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1;
    ServerSocket[] held = new ServerSocket[n];
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < n; i++) {
      held[i] = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
      out.append(i == 0 ? "" : " ").append(held[i].getLocalPort());
    }
    for (ServerSocket s : held) {
      s.close();
    }
    System.out.println(out);
  }
}
