package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ListenerSafetyTest {

  @Test
  void aThrowingListenerNeverBreaksAnSdkCall() throws IOException {
    AtomicInteger calls = new AtomicInteger();
    EgressListener throwing = new EgressListener() {
      @Override
      public void connectFailed(String host, java.net.InetSocketAddress address, Throwable cause) {
        calls.incrementAndGet();
        throw new IllegalStateException("metrics backend down");
      }
    };
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    PrivateEgress egress = PrivateEgress.builder().environment(Map.of()).listener(throwing).build();
    assertThatCode(() -> {
      DoctorReport report = egress.doctor("tcp://127.0.0.1:" + closedPort);
      assertThat(report.ok()).isFalse();
      assertThat(report.checks()).extracting(CheckResult::check).containsExactly(CheckKind.DNS, CheckKind.TCP);
    }).doesNotThrowAnyException();
    assertThat(calls.get()).isEqualTo(1);
    assertThatCode(() -> egress.listener().retry("x", 1, Duration.ZERO, "y")).doesNotThrowAnyException();
  }

  @Test
  void theNoOpListenerIsNotWrapped() {
    assertThat(PrivateEgress.builder().build().listener()).isSameAs(EgressListener.NONE);
  }
}
