package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.internal.NetworkChecks;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The bounded DNS check: a resolver that never answers fails the check instead of blocking it. */
class DnsTimeoutTest {
  final PrivateEgress egress = PrivateEgress.builder().environment(Map.of()).host("mapped.test", "10.1.2.3").build();

  @Test
  void aResolverThatNeverAnswersFailsTheCheckAfterTheTimeout() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch asked = new CountDownLatch(1);
    NetworkChecks.Resolver blocked = host -> {
      asked.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new UnknownHostException(host);
    };
    try {
      NetworkChecks.Resolution r =
          egress.runtime().network().dns(Target.parse("http://my.api.private/"), Duration.ofMillis(200), blocked);
      assertThat(asked.getCount()).isZero();
      assertThat(r.ok()).isFalse();
      assertThat(r.addresses()).isEmpty();
      assertThat(r.result().detail()).isEqualTo("DNS did not answer within 200 ms for my.api.private");
      assertThat(r.result().advice()).startsWith("resolver did not answer within 200 ms")
          .contains("PRIVATE_EGRESS_HOSTS=my.api.private=IP");
    } finally {
      release.countDown();
    }
  }

  @Test
  void anAnswerWithinTheTimeoutIsClassified() throws Exception {
    InetAddress a = InetAddress.getByAddress("my.api.private", new byte[] {10, 0, 0, 7});
    NetworkChecks.Resolution r = egress.runtime().network().dns(Target.parse("http://my.api.private/"),
        Duration.ofSeconds(5), host -> new InetAddress[] {a});
    assertThat(r.ok()).isTrue();
    assertThat(r.result().detail()).isEqualTo("my.api.private -> 10.0.0.7 (private) via system resolver");
  }

  @Test
  void anUnknownNameIsStillADoesNotResolve() {
    NetworkChecks.Resolution r = egress.runtime().network().dns(Target.parse("http://my.api.private/"),
        Duration.ofSeconds(5), host -> {
          throw new UnknownHostException(host + ": Name or service not known");
        });
    assertThat(r.ok()).isFalse();
    assertThat(r.result().detail()).startsWith("my.api.private does not resolve");
    assertThat(r.result().advice()).contains("PRIVATE_EGRESS_HOSTS=my.api.private=127.0.0.1");
  }

  @Test
  void overridesAndLiteralsNeverAskTheResolver() {
    AtomicInteger asked = new AtomicInteger();
    NetworkChecks.Resolver counting = host -> {
      asked.incrementAndGet();
      throw new UnknownHostException(host);
    };
    assertThat(egress.runtime().network().dns(Target.parse("tcp://mapped.test:5432"), Duration.ofSeconds(1), counting)
        .result().detail()).endsWith("via PRIVATE_EGRESS_HOSTS");
    assertThat(egress.runtime().network().dns(Target.parse("tcp://127.0.0.1:5432"), Duration.ofSeconds(1), counting)
        .result().detail()).isEqualTo("127.0.0.1 -> 127.0.0.1 (loopback) via IP literal");
    assertThat(asked).hasValue(0);
  }
}
