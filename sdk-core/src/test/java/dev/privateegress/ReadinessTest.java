package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@link PrivateEgress#awaitReady} against real loopback sockets. */
class ReadinessTest {
  final PrivateEgress egress = PrivateEgress.builder().environment(Map.of()).build();

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void waitsForASidecarThatStartsLate() throws Exception {
    int port = freePort();
    String target = "tcp://127.0.0.1:" + port;
    assertThat(egress.doctor(target).ok()).isFalse(); // not listening yet

    AtomicReference<ServerSocket> late = new AtomicReference<>();
    CountDownLatch bound = new CountDownLatch(1);
    Thread sidecar = new Thread(() -> {
      try {
        Thread.sleep(400);
        late.set(new ServerSocket(port, 16, InetAddress.getLoopbackAddress()));
        bound.countDown();
      } catch (Exception e) {
        bound.countDown();
      }
    }, "late-sidecar");
    sidecar.start();
    try {
      List<CheckResult> results = egress.awaitReady(target, Duration.ofSeconds(20));
      assertThat(bound.await(0, TimeUnit.SECONDS)).isTrue();
      assertThat(late.get()).as("the sidecar could bind its port").isNotNull();
      assertThat(results).extracting(CheckResult::check).containsExactly(CheckKind.DNS, CheckKind.TCP);
      assertThat(results).allMatch(CheckResult::ok);
    } finally {
      sidecar.join(5000);
      if (late.get() != null) {
        late.get().close();
      }
    }
  }

  @Test
  void aNegativeTimeoutIsRejected() {
    assertThatThrownBy(() -> egress.awaitReady("tcp://127.0.0.1:1", Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT-1S");
  }

  @Test
  void aPortThatNeverOpensEndsInNotReadyWithAdvice() throws Exception {
    int port = freePort();
    assertThatThrownBy(() -> egress.awaitReady("tcp://127.0.0.1:" + port, Duration.ofMillis(500)))
        .isInstanceOfSatisfying(NotReadyException.class, e -> {
          assertThat(e.getMessage()).startsWith("not ready after 500 ms (")
              .contains("tcp://127.0.0.1:" + port + " tcp: 127.0.0.1:" + port + " refused")
              .contains("-> nothing listens on 127.0.0.1:" + port);
          assertThat(e.lastResults()).extracting(CheckResult::check).containsExactly(CheckKind.DNS, CheckKind.TCP);
          assertThat(e.lastResults().get(1).ok()).isFalse();
        });
  }

  @Test
  void onlyTheTargetsStillFailingAreNamed() throws Exception {
    int closed = freePort();
    try (ServerSocket open = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
      String ready = "tcp://127.0.0.1:" + open.getLocalPort();
      String notReady = "tcp://127.0.0.1:" + closed;
      assertThatThrownBy(() -> egress.awaitReady(List.of(ready, notReady), Duration.ofMillis(200)))
          .isInstanceOfSatisfying(NotReadyException.class, e -> {
            assertThat(e.getMessage()).contains(notReady).doesNotContain(ready + " tcp");
            assertThat(e.lastResults()).hasSize(4);
            // even in the last round, squeezed against the deadline, the open port is reported as open
            assertThat(e.lastResults()).filteredOn(c -> c.target().equals(ready)).allMatch(CheckResult::ok);
          });
    }
  }

  @Test
  void aZeroTimeoutChecksExactlyOnce() throws Exception {
    int port = freePort();
    assertThatThrownBy(() -> egress.awaitReady("tcp://127.0.0.1:" + port, Duration.ZERO))
        .isInstanceOf(NotReadyException.class).hasMessageContaining("(1 round)");
    try (ServerSocket open = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
      assertThat(egress.awaitReady("tcp://127.0.0.1:" + open.getLocalPort(), Duration.ZERO)).allMatch(CheckResult::ok);
    }
  }

  @Test
  void aBadTargetIsAConfigurationError() {
    assertThatThrownBy(() -> egress.awaitReady("tcp://127.0.0.1", Duration.ofSeconds(1)))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("tcp:// needs a port");
  }

  @Test
  void anInterruptedWaitStopsWithNotReady() throws Exception {
    int port = freePort();
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread waiter = new Thread(() -> {
      try {
        egress.awaitReady("tcp://127.0.0.1:" + port, Duration.ofSeconds(30));
      } catch (Throwable t) {
        thrown.set(t);
      }
    }, "waiter");
    waiter.start();
    Thread.sleep(200);
    waiter.interrupt();
    waiter.join(10_000);
    assertThat(waiter.isAlive()).isFalse();
    assertThat(thrown.get()).isInstanceOf(NotReadyException.class).hasMessageContaining("interrupted");
  }
}
