package dev.privateegress.http;

import static dev.privateegress.http.Fixtures.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.CheckKind;
import dev.privateegress.CheckResult;
import dev.privateegress.DoctorReport;
import dev.privateegress.PrivateEgress;
import dev.privateegress.Target;
import dev.privateegress.spi.TargetChecker.Purpose;
import dev.privateegress.http.internal.HttpChecker;
import dev.privateegress.testing.FakeMetadataServer;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DoctorChecksTest {
  private static final String AUDIENCE = "https://my-api.example.com";
  private static final Duration TIMEOUT = Duration.ofSeconds(3);
  private FakeMetadataServer md;
  private MockWebServer api;

  @BeforeEach
  void start() throws IOException {
    md = FakeMetadataServer.start();
    api = Fixtures.server();
  }

  @AfterEach
  void stop() {
    api.close();
    md.close();
  }

  private PrivateEgress egress(String audiences) {
    Map<String, String> env = new HashMap<>();
    env.put("GCE_METADATA_HOST", md.hostPort());
    env.put("K_SERVICE", "caller");
    env.put("K_REVISION", "caller-00001");
    env.put("PRIVATE_EGRESS_LOOKUP", "off");
    env.put("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1,open.private=127.0.0.1");
    env.put("PRIVATE_EGRESS_AUDIENCES", audiences);
    return PrivateEgress.builder().environment(env).build();
  }

  private PrivateEgress egress() {
    return egress("my.api.private=" + AUDIENCE);
  }

  private String url() {
    return "http://my.api.private:" + api.getPort() + "/";
  }

  private static List<CheckResult> check(PrivateEgress egress, String target, Purpose purpose) {
    return new HttpChecker().check(egress.checkContext(), Target.parse(target), purpose, TIMEOUT);
  }

  private static CheckResult last(List<CheckResult> results) {
    return results.get(results.size() - 1);
  }

  @Test
  void doctorFindsTheHttpCheckerAndRunsEveryCheck() throws Exception {
    api.enqueue(status(200));
    DoctorReport report = egress().doctor(url());
    assertThat(report.checks()).extracting(CheckResult::check)
        .containsExactly(CheckKind.DNS, CheckKind.TCP, CheckKind.TOKEN, CheckKind.HTTP);
    assertThat(report.checks()).allMatch(CheckResult::ok);
    RecordedRequest head = api.takeRequest(5, TimeUnit.SECONDS);
    assertThat(head.getMethod()).isEqualTo("HEAD");
    String token = head.getHeaders().get("Authorization").substring("Bearer ".length());
    assertThat(Fixtures.audienceOf("Bearer " + token)).isEqualTo(AUDIENCE);
    for (CheckResult c : report.checks()) {
      assertThat(c.detail() + c.advice()).doesNotContain(token);
    }
    assertThat(report.checks().get(2).detail()).contains("ID token aud=" + AUDIENCE).contains("min left");
  }

  @Test
  void unauthorizedPointsAtTheAudience() {
    api.enqueue(status(401));
    CheckResult http = last(check(egress(), url(), Purpose.DOCTOR));
    assertThat(http.check()).isEqualTo(CheckKind.HTTP);
    assertThat(http.ok()).isFalse();
    assertThat(http.detail()).contains("-> 401");
    assertThat(http.advice()).contains("audience " + AUDIENCE).contains("PRIVATE_EGRESS_AUDIENCES");
  }

  @Test
  void forbiddenPointsAtTheInvokerRole() {
    api.enqueue(status(403));
    CheckResult http = last(check(egress(), url(), Purpose.DOCTOR));
    assertThat(http.ok()).isFalse();
    assertThat(http.advice()).contains("roles/run.invoker");
  }

  @Test
  void unauthorizedWithoutATokenSaysTheHostIsNotMapped() {
    api.enqueue(status(401));
    CheckResult http = last(check(egress(), "http://open.private:" + api.getPort() + "/", Purpose.DOCTOR));
    assertThat(http.ok()).isFalse();
    assertThat(http.advice()).contains("open.private gets no ID token").contains("PRIVATE_EGRESS_AUDIENCES");
  }

  @Test
  void serverErrorMeansUpstreamFailing() {
    api.enqueue(status(503));
    CheckResult http = last(check(egress(), url(), Purpose.DOCTOR));
    assertThat(http.ok()).isFalse();
    assertThat(http.advice()).contains("upstream error 503");
    assertThat(api.getRequestCount()).isEqualTo(1); // checks never retry
  }

  @Test
  void readinessAcceptsAnyAnswerBelow500() {
    api.enqueue(status(404));
    assertThat(last(check(egress(), url(), Purpose.READINESS)).ok()).isTrue();
    api.enqueue(status(401));
    assertThat(last(check(egress(), url(), Purpose.READINESS)).ok()).isTrue();
    api.enqueue(status(502));
    assertThat(last(check(egress(), url(), Purpose.READINESS)).ok()).isFalse();
  }

  @Test
  void awaitReadyUsesTheHttpCheck() {
    api.enqueue(status(503));
    api.enqueue(status(204));
    List<CheckResult> ready = egress().awaitReady(url(), Duration.ofSeconds(10));
    assertThat(ready).extracting(CheckResult::check).contains(CheckKind.HTTP);
    assertThat(api.getRequestCount()).isEqualTo(2);
  }

  @Test
  void tokenMintFailureStopsBeforeHttpWithAdvice() {
    md.failNext(100, 500, "instance/service-accounts/default/identity");
    List<CheckResult> results = check(egress(), url(), Purpose.DOCTOR);
    CheckResult token = last(results);
    assertThat(token.check()).isEqualTo(CheckKind.TOKEN);
    assertThat(token.ok()).isFalse();
    assertThat(token.advice()).contains("metadata server").contains("impersonat");
    assertThat(api.getRequestCount()).isZero();
  }

  @Test
  void httpsAgainstAPlainPortFailsTlsWithAdvice() {
    List<CheckResult> results = check(egress(), "https://open.private:" + api.getPort() + "/", Purpose.DOCTOR);
    CheckResult tls = last(results);
    assertThat(tls.check()).isEqualTo(CheckKind.TLS);
    assertThat(tls.ok()).isFalse();
    assertThat(tls.advice()).contains("plaintext");
  }

  @Test
  void closedPortStopsAtTcp() throws IOException {
    int port = api.getPort();
    api.close();
    List<CheckResult> results = check(egress(), "http://open.private:" + port + "/", Purpose.DOCTOR);
    assertThat(results).extracting(CheckResult::check).containsExactly(CheckKind.DNS, CheckKind.TCP);
    assertThat(results.get(1).ok()).isFalse();
  }
}
