package dev.privateegress.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FaultProxyTest {
  /** Upstream: answers every connection with "hello world\n" then echoes what it reads. */
  private ServerSocket upstream;
  private final AtomicInteger upstreamConnections = new AtomicInteger();

  @BeforeEach
  void startUpstream() throws IOException {
    upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> {
      while (!upstream.isClosed()) {
        try {
          Socket s = upstream.accept();
          upstreamConnections.incrementAndGet();
          Thread h = new Thread(() -> {
            try (s) {
              s.getOutputStream().write("hello world\n".getBytes(StandardCharsets.US_ASCII));
              s.getOutputStream().flush();
              s.getInputStream().transferTo(s.getOutputStream());
            } catch (IOException ignored) {
              // client went away
            }
          });
          h.setDaemon(true);
          h.start();
        } catch (IOException e) {
          return;
        }
      }
    });
    t.setDaemon(true);
    t.start();
  }

  @AfterEach
  void stopUpstream() throws IOException {
    upstream.close();
  }

  private static Socket connect(FaultProxy proxy) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port()), 2_000);
    s.setSoTimeout(2_000);
    return s;
  }

  private static String readAll(Socket s, int max) throws IOException {
    InputStream in = s.getInputStream();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[64];
    while (out.size() < max) {
      int n = in.read(buf, 0, Math.min(buf.length, max - out.size()));
      if (n < 0) {
        break;
      }
      out.write(buf, 0, n);
    }
    return out.toString(StandardCharsets.US_ASCII);
  }

  @Test
  void passesBytesBothWays() throws IOException {
    try (FaultProxy proxy = FaultProxy.start(upstream.getLocalPort()); Socket s = connect(proxy)) {
      assertThat(readAll(s, 12)).isEqualTo("hello world\n");
      s.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
      assertThat(readAll(s, 4)).isEqualTo("ping");
      assertThat(proxy.acceptedConnections()).isEqualTo(1);
    }
  }

  @Test
  void resetSendsRstBeforeAnyByte() throws IOException {
    try (FaultProxy proxy = FaultProxy.start(upstream.getLocalPort())) {
      proxy.enqueue(FaultProxy.Behavior.reset());
      // The RST may land before the read or even before setSoTimeout: either way the socket is reset.
      assertThatThrownBy(() -> {
        try (Socket s = connect(proxy)) {
          readAll(s, 12);
        }
      }).isInstanceOf(SocketException.class).hasMessageContaining("reset");
      assertThat(upstreamConnections).hasValue(0);
      // the queue is used up: the next connection gets the default (pass)
      try (Socket s = connect(proxy)) {
        assertThat(readAll(s, 12)).isEqualTo("hello world\n");
      }
      assertThat(proxy.acceptedConnections()).isEqualTo(2);
    }
  }

  @Test
  void blackHoleNeverAnswers() throws IOException {
    try (FaultProxy proxy = FaultProxy.start(upstream.getLocalPort())) {
      proxy.defaultBehavior(FaultProxy.Behavior.blackHole());
      try (Socket s = connect(proxy)) {
        s.setSoTimeout(200);
        s.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
      }
      assertThat(upstreamConnections).hasValue(0);
    }
  }

  @Test
  void forgottenConnectionsSwallowBytesSilentlyWhileNewOnesPass() throws IOException {
    try (FaultProxy proxy = FaultProxy.start(upstream.getLocalPort()); Socket old = connect(proxy)) {
      assertThat(readAll(old, 12)).isEqualTo("hello world\n");
      proxy.forgetOpenConnections();
      old.setSoTimeout(300);
      old.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
      // no echo, no FIN, no RST: the read times out
      assertThatThrownBy(() -> old.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
      try (Socket fresh = connect(proxy)) {
        assertThat(readAll(fresh, 12)).isEqualTo("hello world\n");
        fresh.getOutputStream().write("pong".getBytes(StandardCharsets.US_ASCII));
        assertThat(readAll(fresh, 4)).isEqualTo("pong");
      }
    }
  }

  @Test
  void cutAfterDeliversOnlyThePrefix() throws IOException {
    try (FaultProxy proxy = FaultProxy.start(upstream.getLocalPort())) {
      proxy.enqueue(FaultProxy.Behavior.cutAfter(5));
      try (Socket s = connect(proxy)) {
        StringBuilder got = new StringBuilder();
        byte[] buf = new byte[64];
        try {
          int n;
          while ((n = s.getInputStream().read(buf)) >= 0) {
            got.append(new String(buf, 0, n, StandardCharsets.US_ASCII));
          }
        } catch (SocketException expected) {
          // RST after the prefix
        }
        assertThat(got.toString()).isEqualTo("hello");
      }
    }
  }

  @Test
  void resetAfterReadingConsumesTheRequestThenResets() throws IOException {
    try (FaultProxy proxy = FaultProxy.start(upstream.getLocalPort())) {
      proxy.enqueue(FaultProxy.Behavior.resetAfterReading(4));
      try (Socket s = connect(proxy)) {
        s.getOutputStream().write("POST".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> readAll(s, 12)).isInstanceOf(SocketException.class);
      }
      assertThat(upstreamConnections).hasValue(0);
    }
  }

  @Test
  void delayedPassWaitsBeforeForwarding() throws IOException {
    try (FaultProxy proxy = FaultProxy.start(upstream.getLocalPort())) {
      proxy.enqueue(FaultProxy.Behavior.pass().delayed(Duration.ofMillis(300)));
      try (Socket s = connect(proxy)) {
        s.setSoTimeout(100);
        assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        s.setSoTimeout(5_000);
        assertThat(readAll(s, 12)).isEqualTo("hello world\n");
      }
    }
  }

  @Test
  void refusesWhileDownAndAcceptsAgainOnTheSamePort() throws IOException {
    try (FaultProxy proxy = FaultProxy.start(upstream.getLocalPort())) {
      int port = proxy.port();
      proxy.refuseConnections();
      assertThatThrownBy(() -> connect(proxy)).isInstanceOf(ConnectException.class);
      proxy.acceptConnections();
      assertThat(proxy.port()).isEqualTo(port);
      try (Socket s = connect(proxy)) {
        assertThat(readAll(s, 12)).isEqualTo("hello world\n");
      }
      assertThat(proxy.acceptedConnections()).isEqualTo(1);
    }
  }

  @Test
  void thePortStaysReservedWhileRefusing() throws IOException {
    boolean reusePort;
    try (ServerSocket probe = new ServerSocket(); Socket c = new Socket()) {
      reusePort = probe.supportedOptions().contains(java.net.StandardSocketOptions.SO_REUSEPORT)
          && c.supportedOptions().contains(java.net.StandardSocketOptions.SO_REUSEPORT);
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(reusePort, "SO_REUSEPORT not supported here");
    try (FaultProxy proxy = FaultProxy.start(upstream.getLocalPort())) {
      // a proxied connection first: the port has had traffic before it is held
      try (Socket s = connect(proxy)) {
        assertThat(readAll(s, 12)).isEqualTo("hello world\n");
      }
      for (int round = 0; round < 2; round++) {
        proxy.refuseConnections();
        assertThatThrownBy(() -> connect(proxy)).isInstanceOf(ConnectException.class);
        // another socket (as another process would) cannot take the port in the meantime
        try (ServerSocket intruder = new ServerSocket()) {
          intruder.setReuseAddress(true);
          assertThatThrownBy(() -> intruder.bind(
              new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port())))
              .isInstanceOf(java.net.BindException.class);
        }
        proxy.acceptConnections();
        try (Socket s = connect(proxy)) {
          assertThat(readAll(s, 12)).isEqualTo("hello world\n");
        }
      }
      assertThat(proxy.acceptedConnections()).isEqualTo(3);
    }
  }

  @Test
  void rejectsBadArguments() {
    assertThatThrownBy(() -> FaultProxy.Behavior.resetAfterReading(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> FaultProxy.Behavior.cutAfter(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThat(FaultProxy.Behavior.cutAfter(3).delayed(Duration.ofMillis(5)).toString())
        .isEqualTo("cut_after(3) after PT0.005S");
  }
}
