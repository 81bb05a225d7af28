package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.internal.EgressDetector;
import dev.privateegress.testing.FakeMetadataServer;
import dev.privateegress.testing.MutableClock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The evidence chain: config, admin API, probe, platform; caching and the time budget. */
class EgressDetectorTest {
  static final String RUN_SERVICE = AdminApiTest.RUN_SERVICE;
  static final Map<String, String> CLOUD_RUN =
      Map.of("K_SERVICE", "api", "K_REVISION", "api-00007-xyz", "K_CONFIGURATION", "api");

  FakeMetadataServer md;
  RecordingApiServer api;
  MutableClock clock = MutableClock.start();

  @BeforeEach
  void start() {
    md = FakeMetadataServer.start();
    api = new RecordingApiServer();
  }

  @AfterEach
  void stop() {
    api.close();
    md.close();
  }

  PrivateEgress egress(Map<String, String> vars) {
    Map<String, String> env = new HashMap<>(vars);
    env.put("GCE_METADATA_HOST", md.hostPort());
    return PrivateEgress.builder().environment(env).clock(clock).adminApiBaseUrl(api.baseUrl()).build();
  }

  static Map<String, String> with(Map<String, String> base, String k, String v) {
    Map<String, String> m = new HashMap<>(base);
    m.put(k, v);
    return m;
  }

  static InetSocketAddress privateAddress() throws UnknownHostException {
    return new InetSocketAddress(InetAddress.getByAddress(new byte[] {10, 8, 0, 5}), 5432);
  }

  @Test
  void declaredModeWinsAndNothingIsAsked() {
    api.answer(RUN_SERVICE, 200, "run-service-direct-vpc.json");
    EgressInfo info = egress(with(CLOUD_RUN, "PRIVATE_EGRESS_MODE", "connector")).egress();
    assertThat(info.mode()).isEqualTo(EgressMode.CONNECTOR);
    assertThat(info.source()).isEqualTo(EvidenceSource.CONFIG);
    assertThat(info.evidence()).extracting(Evidence::toString).contains("config: PRIVATE_EGRESS_MODE=connector");
    assertThat(api.requests()).isEmpty();
    assertThat(md.accessTokenRequests()).isZero();
  }

  @Test
  void declaredScopeCombinesWithTheDetectedMode() {
    api.answer(RUN_SERVICE, 200, "run-service-connector.json"); // says PRIVATE_RANGES_ONLY
    EgressInfo info = egress(with(CLOUD_RUN, "PRIVATE_EGRESS_SCOPE", "all-traffic")).egress();
    assertThat(info.mode()).isEqualTo(EgressMode.CONNECTOR);
    assertThat(info.scope()).isEqualTo(EgressScope.ALL_TRAFFIC);
    assertThat(info.source()).isEqualTo(EvidenceSource.ADMIN_API);
    assertThat(info.evidence()).extracting(Evidence::source).contains(EvidenceSource.CONFIG, EvidenceSource.ADMIN_API);
  }

  @Test
  void lookupOffSkipsTheAdminApi() {
    api.answer(RUN_SERVICE, 200, "run-service-direct-vpc.json");
    EgressInfo info = egress(with(CLOUD_RUN, "PRIVATE_EGRESS_LOOKUP", "off")).egress();
    assertThat(info.mode()).isEqualTo(EgressMode.UNKNOWN);
    assertThat(info.source()).isEqualTo(EvidenceSource.PLATFORM);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("PRIVATE_EGRESS_LOOKUP=off"));
    assertThat(api.requests()).isEmpty();
    assertThat(md.accessTokenRequests()).isZero();
  }

  @Test
  void localIsNoneWithoutAnyRequest() {
    PrivateEgress egress = PrivateEgress.builder().environment(Map.of()).adminApiBaseUrl(api.baseUrl()).build();
    EgressInfo info = egress.egress();
    assertThat(info.mode()).isEqualTo(EgressMode.NONE);
    assertThat(info.source()).isEqualTo(EvidenceSource.PLATFORM);
    assertThat(api.requests()).isEmpty();
  }

  @Test
  void aVmIsInsideItsVpcByPlatform() {
    PrivateEgress egress = egress(Map.of()); // only GCE_METADATA_HOST: the metadata server answers -> gce
    assertThat(egress.platform()).isEqualTo(Platform.GCE);
    EgressInfo info = egress.egress();
    assertThat(info.mode()).isEqualTo(EgressMode.VPC);
    assertThat(info.scope()).isEqualTo(EgressScope.ALL_TRAFFIC);
    assertThat(info.source()).isEqualTo(EvidenceSource.PLATFORM);
    assertThat(api.requests()).isEmpty();
  }

  @Test
  void knownEgressDoesNoIo() {
    PrivateEgress egress = egress(CLOUD_RUN);
    EgressInfo known = egress.knownEgress();
    assertThat(known.mode()).isEqualTo(EgressMode.UNKNOWN);
    assertThat(md.requestCount()).isZero();
    assertThat(api.requests()).isEmpty();
  }

  @Test
  void knownEgressReturnsTheCachedVerdictAfterDetection() {
    api.answer(RUN_SERVICE, 200, "run-service-direct-vpc.json");
    PrivateEgress egress = egress(CLOUD_RUN);
    egress.egress();
    assertThat(egress.knownEgress().mode()).isEqualTo(EgressMode.DIRECT_VPC);
    assertThat(egress.inStartupGrace()).isTrue();
  }

  @Test
  void aTimeoutIsUnknownBoundedByTheBudgetAndRetriedAfterAMinute() {
    api.hang(RUN_SERVICE);
    PrivateEgress egress = egress(CLOUD_RUN);
    EgressDetector detector = new EgressDetector(egress.runtime(), api.baseUrl(), Duration.ofMillis(300));
    EgressInfo info = detector.detect();
    assertThat(info.mode()).isEqualTo(EgressMode.UNKNOWN);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("no answer in time"));
    detector.detect();
    assertThat(api.requests()).hasSize(1); // kept while the retry interval runs
    clock.advance(EgressDetector.RETRY_AFTER.plusSeconds(1));
    detector.detect();
    assertThat(api.requests()).hasSize(2);
  }

  @Test
  void noAccessTokenIsUnknownAndNothingIsSentWithoutOne() {
    md.failNext(100, 500, "instance/service-accounts/default/token");
    EgressInfo info = egress(CLOUD_RUN).egress();
    assertThat(info.mode()).isEqualTo(EgressMode.UNKNOWN);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("no access token"));
    assertThat(api.requests()).isEmpty();
  }

  @Test
  void aPrivateAddressThatAnsweredProvesVpcEgressWhenOtherwiseUnknown() throws Exception {
    api.answer(RUN_SERVICE, 403, "error-403-permission.json");
    PrivateEgress egress = egress(CLOUD_RUN);
    EgressDetector detector = new EgressDetector(egress.runtime(), api.baseUrl(), Duration.ofSeconds(5));
    assertThat(detector.detect().mode()).isEqualTo(EgressMode.UNKNOWN);
    detector.recordProbe("db.private", privateAddress());
    EgressInfo info = detector.detect();
    assertThat(info.mode()).isEqualTo(EgressMode.VPC);
    assertThat(info.source()).isEqualTo(EvidenceSource.PROBE);
    assertThat(info.evidence()).extracting(Evidence::toString)
        .anySatisfy(d -> assertThat(d).contains("run.services.get"))
        .anySatisfy(d -> assertThat(d).startsWith("probe: TCP connect to private address 10.8.0.5:5432 (db.private)"));
    assertThat(detector.known().mode()).isEqualTo(EgressMode.VPC);
    assertThat(api.requests()).hasSize(1); // the probe did not trigger another lookup
  }

  @Test
  void aProbeNeverOverridesAnAnswerFromTheAdminApi() throws Exception {
    api.answer(RUN_SERVICE, 200, "run-service-no-vpc.json");
    EgressDetector detector = new EgressDetector(egress(CLOUD_RUN).runtime(), api.baseUrl(), Duration.ofSeconds(5));
    detector.recordProbe("db.private", privateAddress());
    assertThat(detector.detect().mode()).isEqualTo(EgressMode.NONE);
  }

  @Test
  void aProbeProvesNothingOnADeveloperMachine() throws Exception {
    PrivateEgress egress = PrivateEgress.builder().environment(Map.of()).build();
    EgressDetector detector = new EgressDetector(egress.runtime(), null, Duration.ofSeconds(5));
    detector.recordProbe("nas.lan", privateAddress());
    assertThat(detector.detect().mode()).isEqualTo(EgressMode.NONE);
    assertThat(detector.known().mode()).isEqualTo(EgressMode.NONE);
  }

  @Test
  void slowMetadataReadsForProjectAndRegionStayInsideTheBudgetAndAreRetriedLater() {
    api.answer(RUN_SERVICE, 200, "run-service-direct-vpc.json");
    md.latency(Duration.ofSeconds(3)); // each read would take its full 3 s read timeout without the budget
    PrivateEgress egress = egress(CLOUD_RUN);
    EgressDetector detector = new EgressDetector(egress.runtime(), api.baseUrl(), Duration.ofSeconds(1));
    long start = System.nanoTime();
    EgressInfo info = detector.detect();
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(info.mode()).isEqualTo(EgressMode.UNKNOWN);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).startsWith("project id not read: "))
        .anySatisfy(d -> assertThat(d).startsWith("region not read: "));
    assertThat(md.requestCount("project/project-id")).isEqualTo(1);
    assertThat(md.accessTokenRequests()).isZero();
    assertThat(api.requests()).isEmpty();
    assertThat(millis).isLessThan(4_000); // unbounded: 3 reads x 3 s
    // A hiccup is not kept for good: after the retry interval the metadata server answers.
    md.latency(Duration.ZERO);
    detector.detect();
    assertThat(api.requests()).isEmpty();
    clock.advance(EgressDetector.RETRY_AFTER.plusSeconds(1));
    assertThat(detector.detect().mode()).isEqualTo(EgressMode.DIRECT_VPC);
    assertThat(api.requests()).hasSize(1);
  }

  @Test
  void aSlowAccessTokenCannotHoldDetectionPastItsBudget() {
    api.answer(RUN_SERVICE, 200, "run-service-direct-vpc.json");
    PrivateEgress egress = egress(CLOUD_RUN);
    assertThat(egress.project()).isPresent(); // cached, so only the token is slow
    assertThat(egress.region()).isPresent();
    md.latency(Duration.ofSeconds(6)); // the token source's own deadline is 10 s
    EgressDetector detector = new EgressDetector(egress.runtime(), api.baseUrl(), Duration.ofSeconds(1));
    long start = System.nanoTime();
    EgressInfo info = detector.detect();
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(info.mode()).isEqualTo(EgressMode.UNKNOWN);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("no access token within the egress-detection budget of 1000 ms"));
    assertThat(api.requests()).isEmpty();
    assertThat(millis).isLessThan(4_000);
  }

  @Test
  void aMissingProjectThatIsReallyAbsentIsKept() {
    md.set("project/project-id", null);
    PrivateEgress egress = egress(CLOUD_RUN);
    EgressDetector detector = new EgressDetector(egress.runtime(), api.baseUrl(), Duration.ofSeconds(5));
    assertThat(detector.detect().evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).startsWith("project id unknown"));
    int reads = md.requestCount("project/project-id");
    clock.advance(EgressDetector.RETRY_AFTER.plusSeconds(1));
    detector.detect();
    assertThat(md.requestCount("project/project-id")).isEqualTo(reads);
  }
}
