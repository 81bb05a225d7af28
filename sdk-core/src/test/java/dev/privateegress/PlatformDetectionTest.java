package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.testing.FakeMetadataServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PlatformDetectionTest {

  static Stream<Arguments> environments() {
    return Stream.of(
        // every row of the detection order
        row("cloud run job", Platform.CLOUD_RUN_JOB, "CLOUD_RUN_JOB", "nightly", "CLOUD_RUN_EXECUTION", "nightly-x1"),
        row("cloud run worker pool", Platform.CLOUD_RUN_WORKER_POOL, "CLOUD_RUN_WORKER_POOL", "pool"),
        row("cloud run function", Platform.CLOUD_RUN_FUNCTION, "FUNCTION_TARGET", "handle"),
        row("cloud run service (configuration)", Platform.CLOUD_RUN_SERVICE, "K_SERVICE", "api", "K_CONFIGURATION", "api"),
        row("cloud run service (revision)", Platform.CLOUD_RUN_SERVICE, "K_SERVICE", "api", "K_REVISION", "api-00001-abc"),
        row("functions gen1 FUNCTION_NAME", Platform.CLOUD_FUNCTIONS_GEN1, "FUNCTION_NAME", "f", "GCP_PROJECT", "p"),
        row("functions gen1 X_GOOGLE_FUNCTION_NAME", Platform.CLOUD_FUNCTIONS_GEN1, "X_GOOGLE_FUNCTION_NAME", "f"),
        row("app engine standard", Platform.APP_ENGINE_STANDARD, "GAE_SERVICE", "default", "GAE_ENV", "standard"),
        row("app engine flex (no GAE_ENV)", Platform.APP_ENGINE_FLEX, "GAE_SERVICE", "default", "GAE_VERSION", "v1"),
        row("app engine flex (GAE_ENV=flex)", Platform.APP_ENGINE_FLEX, "GAE_SERVICE", "default", "GAE_ENV", "flex"),
        row("gke", Platform.GKE, "KUBERNETES_SERVICE_HOST", "10.0.0.1"),
        row("nothing", Platform.LOCAL),
        // conflicts: the earlier row wins
        row("function also has K_SERVICE", Platform.CLOUD_RUN_FUNCTION,
            "K_SERVICE", "fn", "K_REVISION", "fn-1", "K_CONFIGURATION", "fn", "FUNCTION_TARGET", "handle"),
        row("job also has K_SERVICE", Platform.CLOUD_RUN_JOB,
            "CLOUD_RUN_JOB", "j", "K_SERVICE", "s", "K_REVISION", "s-1"),
        row("job beats worker pool", Platform.CLOUD_RUN_JOB, "CLOUD_RUN_JOB", "j", "CLOUD_RUN_WORKER_POOL", "p"),
        row("worker pool beats function", Platform.CLOUD_RUN_WORKER_POOL, "CLOUD_RUN_WORKER_POOL", "p", "FUNCTION_TARGET", "t"),
        row("K_SERVICE alone is Knative-like, not Cloud Run", Platform.LOCAL, "K_SERVICE", "api"),
        row("cloud run service beats gen1 names", Platform.CLOUD_RUN_SERVICE,
            "K_SERVICE", "a", "K_REVISION", "a-1", "FUNCTION_NAME", "f"),
        row("gen1 beats app engine", Platform.CLOUD_FUNCTIONS_GEN1, "FUNCTION_NAME", "f", "GAE_SERVICE", "s"),
        row("app engine beats gke", Platform.APP_ENGINE_STANDARD,
            "GAE_SERVICE", "s", "GAE_ENV", "standard", "KUBERNETES_SERVICE_HOST", "10.0.0.1"),
        row("empty values do not count", Platform.LOCAL, "CLOUD_RUN_JOB", "", "FUNCTION_TARGET", ""),
        row("cloud run job ignores NO_GCE_CHECK", Platform.CLOUD_RUN_JOB, "CLOUD_RUN_JOB", "j", "NO_GCE_CHECK", "true"));
  }

  private static Arguments row(String name, Platform expected, String... kv) {
    Map<String, String> env = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      env.put(kv[i], kv[i + 1]);
    }
    return Arguments.of(name, expected, env);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("environments")
  void detectsFromEnvironmentVariables(String name, Platform expected, Map<String, String> env) {
    assertThat(PrivateEgress.builder().environment(env).build().platform()).isEqualTo(expected);
  }

  @Test
  void platformIds_areTheDocumentedNames() {
    assertThat(Platform.values()).extracting(Platform::id).containsExactly(
        "cloud-run-job", "cloud-run-worker-pool", "cloud-run-function", "cloud-run-service",
        "cloud-functions-gen1", "app-engine-standard", "app-engine-flex", "gke", "gce", "local");
    assertThat(Platform.CLOUD_RUN_SERVICE).hasToString("cloud-run-service");
  }

  @Test
  void metadataServerThatAnswersWithFlavor_isGce_andProjectRegionEmailComeFromIt() {
    try (FakeMetadataServer md = FakeMetadataServer.start()) {
      md.projectId("proj-7").set("instance/region", null).set("instance/zone", "projects/1/zones/europe-west1-b");
      PrivateEgress egress = PrivateEgress.builder().environment(Map.of("GCE_METADATA_HOST", md.hostPort())).build();
      assertThat(md.requestCount()).as("no I/O before first use").isZero();
      assertThat(egress.platform()).isEqualTo(Platform.GCE);
      assertThat(egress.project()).contains("proj-7");
      assertThat(egress.region()).contains("europe-west1");
      assertThat(egress.serviceAccountEmail()).contains("runtime@test-project.iam.gserviceaccount.com");
      int afterFirst = md.requestCount();
      for (int i = 0; i < 100; i++) {
        egress.platform();
        egress.project();
        egress.region();
        egress.serviceAccountEmail();
      }
      assertThat(md.requestCount()).as("cached").isEqualTo(afterFirst);
    }
  }

  @Test
  void serverlessRegion_comesFromInstanceRegion_andProjectFromVariableFirst() {
    try (FakeMetadataServer md = FakeMetadataServer.start()) {
      md.region("asia-northeast1");
      PrivateEgress egress = PrivateEgress.builder().environment(Map.of(
          "GCE_METADATA_HOST", md.hostPort(), "K_SERVICE", "api", "K_REVISION", "api-1",
          "GOOGLE_CLOUD_PROJECT", "from-env")).build();
      assertThat(egress.platform()).isEqualTo(Platform.CLOUD_RUN_SERVICE);
      assertThat(egress.project()).contains("from-env");
      assertThat(egress.region()).contains("asia-northeast1");
      assertThat(md.requestCount("project/project-id")).isZero();
    }
  }

  @Test
  void a200WithoutMetadataFlavor_isNotAMetadataServer() {
    try (FakeMetadataServer md = FakeMetadataServer.start()) {
      md.omitFlavorHeader(true);
      PrivateEgress egress = PrivateEgress.builder().environment(Map.of("GCE_METADATA_HOST", md.hostPort())).build();
      assertThat(egress.platform()).isEqualTo(Platform.LOCAL);
      assertThat(egress.project()).isEmpty();
      assertThat(md.requestCount()).isPositive();
    }
  }

  @Test
  void requestsCarryMetadataFlavor() {
    try (FakeMetadataServer md = FakeMetadataServer.start()) {
      // The fake answers 403 to requests without the header; a GCE verdict proves we sent it.
      PrivateEgress egress = PrivateEgress.builder().environment(Map.of("GCE_METADATA_HOST", md.hostPort())).build();
      assertThat(egress.platform()).isEqualTo(Platform.GCE);
    }
  }

  @Test
  void unreachableMetadataHost_meansLocal() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    PrivateEgress egress = PrivateEgress.builder()
        .environment(Map.of("GCE_METADATA_HOST", "127.0.0.1:" + closedPort)).build();
    assertThat(egress.platform()).isEqualTo(Platform.LOCAL);
  }

  @Test
  void noGceCheck_skipsTheProbe() {
    try (FakeMetadataServer md = FakeMetadataServer.start()) {
      PrivateEgress egress = PrivateEgress.builder()
          .environment(Map.of("GCE_METADATA_HOST", md.hostPort(), "NO_GCE_CHECK", "true")).build();
      assertThat(egress.platform()).isEqualTo(Platform.LOCAL);
      assertThat(md.requestCount()).isZero();
    }
  }

  @Test
  void dmiProductName_google_isGce_withoutNetwork(@TempDir Path dir) throws IOException {
    Path dmi = Files.writeString(dir.resolve("product_name"), "Google Compute Engine\n");
    assertThat(PrivateEgress.builder().dmiProductName(dmi).build().platform()).isEqualTo(Platform.GCE);
    Path other = Files.writeString(dir.resolve("other"), "ThinkPad X1\n");
    assertThat(PrivateEgress.builder().dmiProductName(other).build().platform()).isEqualTo(Platform.LOCAL);
    assertThat(PrivateEgress.builder().dmiProductName(dir.resolve("missing")).build().platform())
        .isEqualTo(Platform.LOCAL);
  }

  @Test
  void offGoogleCloud_nothingAsksTheMetadataServer() {
    // No platform variables, no GCE_METADATA_HOST, no DMI file: every lookup answers from memory.
    PrivateEgress egress = PrivateEgress.builder().environment(Map.of("HOME", "/home/dev")).build();
    assertThat(egress.platform()).isEqualTo(Platform.LOCAL);
    assertThat(egress.project()).isEmpty();
    assertThat(egress.region()).isEmpty();
    assertThat(egress.serviceAccountEmail()).isEmpty();
    assertThat(egress.knownEgress().mode()).isEqualTo(EgressMode.NONE);
  }
}
