package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.testing.FakeMetadataServer;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Egress detection step 2 against recorded admin-API documents served by a real HTTP server on loopback,
 * with the access token from the fake metadata server.
 */
class AdminApiTest {
  static final String RUN_SERVICE = "/v2/projects/test-project/locations/us-central1/services/api";
  static final String RUN_JOB = "/v2/projects/test-project/locations/us-central1/jobs/nightly";
  static final String WORKER_POOL = "/v2/projects/test-project/locations/us-central1/workerPools/pool";
  static final String GAE_VERSION = "/v1/apps/test-project/services/default/versions/20261121t101500";
  static final String GEN1_FUNCTION = "/v2/projects/test-project/locations/europe-west1/functions/resize";
  static final String GEN2_FUNCTION = "/v2/projects/test-project/locations/us-central1/functions/hook";
  static final String GEN2_SERVICE = "/v2/projects/test-project/locations/us-central1/services/hook";

  FakeMetadataServer md;
  RecordingApiServer api;

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
    return PrivateEgress.builder().environment(env).adminApiBaseUrl(api.baseUrl()).build();
  }

  PrivateEgress runService() {
    return egress(Map.of("K_SERVICE", "api", "K_REVISION", "api-00007-xyz", "K_CONFIGURATION", "api"));
  }

  void assertOneAuthorizedRequest(String path) {
    assertThat(api.requests()).hasSize(1);
    RecordingApiServer.Request r = api.requests().get(0);
    assertThat(r.method()).isEqualTo("GET");
    assertThat(r.path()).isEqualTo(path);
    assertThat(r.authorization()).startsWith("Bearer ya29.fake-access-token-");
    assertThat(md.accessTokenRequests()).isEqualTo(1);
  }

  @Test
  void runServiceWithNetworkInterfacesIsDirectVpcAllTraffic() {
    api.answer(RUN_SERVICE, 200, "run-service-direct-vpc.json");
    EgressInfo info = runService().egress();
    assertThat(info.mode()).isEqualTo(EgressMode.DIRECT_VPC);
    assertThat(info.scope()).isEqualTo(EgressScope.ALL_TRAFFIC);
    assertThat(info.source()).isEqualTo(EvidenceSource.ADMIN_API);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("template.vpcAccess.networkInterfaces")
            .contains("network shared-vpc").contains("subnetwork run-direct"))
        .anySatisfy(d -> assertThat(d).contains("egress = ALL_TRAFFIC -> all-traffic"));
    assertOneAuthorizedRequest(RUN_SERVICE);
  }

  @Test
  void runServiceWithConnectorIsConnectorPrivateRanges() {
    api.answer(RUN_SERVICE, 200, "run-service-connector.json");
    EgressInfo info = runService().egress();
    assertThat(info.mode()).isEqualTo(EgressMode.CONNECTOR);
    assertThat(info.scope()).isEqualTo(EgressScope.PRIVATE_RANGES_ONLY);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("connectors/run-connector"));
    assertOneAuthorizedRequest(RUN_SERVICE);
  }

  @Test
  void unsetEgressIsThePrivateRangesDefaultAndSaysItWasAssumed() {
    api.answer(RUN_SERVICE, 200, "run-service-connector-default-egress.json");
    EgressInfo info = runService().egress();
    assertThat(info.mode()).isEqualTo(EgressMode.CONNECTOR);
    assertThat(info.scope()).isEqualTo(EgressScope.PRIVATE_RANGES_ONLY);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("template.vpcAccess.egress not set").contains("assumed"));
  }

  @Test
  void runServiceWithoutVpcAccessIsNone() {
    api.answer(RUN_SERVICE, 200, "run-service-no-vpc.json");
    EgressInfo info = runService().egress();
    assertThat(info.mode()).isEqualTo(EgressMode.NONE);
    assertThat(info.scope()).isEqualTo(EgressScope.UNKNOWN);
    assertThat(info.source()).isEqualTo(EvidenceSource.ADMIN_API);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("no connector and no networkInterfaces"));
  }

  @Test
  void runJobReadsTheTaskTemplate() {
    api.answer(RUN_JOB, 200, "run-job-direct-vpc.json");
    EgressInfo info = egress(Map.of("CLOUD_RUN_JOB", "nightly", "CLOUD_RUN_EXECUTION", "nightly-x2k9p")).egress();
    assertThat(info.mode()).isEqualTo(EgressMode.DIRECT_VPC);
    assertThat(info.scope()).isEqualTo(EgressScope.PRIVATE_RANGES_ONLY);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("template.template.vpcAccess.networkInterfaces"));
    assertOneAuthorizedRequest(RUN_JOB);
  }

  @Test
  void workerPoolReadsItsTemplateVpcAccessLikeAService() {
    api.answer(WORKER_POOL, 200, "run-service-direct-vpc.json");
    EgressInfo info = egress(Map.of("CLOUD_RUN_WORKER_POOL", "pool")).egress();
    assertThat(info.mode()).isEqualTo(EgressMode.DIRECT_VPC);
    assertThat(info.scope()).isEqualTo(EgressScope.ALL_TRAFFIC);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("template.vpcAccess.networkInterfaces"));
    assertOneAuthorizedRequest(WORKER_POOL);
  }

  @Test
  void runJobWithTheSettingsAtTheWrongLevelIsNotMistakenForDirectVpc() {
    // A service document served for a job: vpcAccess at template.vpcAccess is not where jobs keep it.
    api.answer(RUN_JOB, 200, "run-service-direct-vpc.json");
    EgressInfo info = egress(Map.of("CLOUD_RUN_JOB", "nightly")).egress();
    assertThat(info.mode()).isEqualTo(EgressMode.NONE);
  }

  @Test
  void appEngineConnectorAllTraffic() {
    api.answer(GAE_VERSION, 200, "appengine-version-connector.json");
    EgressInfo info = appEngine().egress();
    assertThat(info.mode()).isEqualTo(EgressMode.CONNECTOR);
    assertThat(info.scope()).isEqualTo(EgressScope.ALL_TRAFFIC);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("App Engine version default/20261121t101500")
            .contains("connectors/gae-connector"));
    assertOneAuthorizedRequest(GAE_VERSION);
  }

  @Test
  void appEnginePrivateIpRangesIsPrivateRangesOnly() {
    api.answer(GAE_VERSION, 200, "appengine-version-connector-private.json");
    EgressInfo info = appEngine().egress();
    assertThat(info.mode()).isEqualTo(EgressMode.CONNECTOR);
    assertThat(info.scope()).isEqualTo(EgressScope.PRIVATE_RANGES_ONLY);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("egressSetting = PRIVATE_IP_RANGES"));
  }

  @Test
  void appEngineWithoutConnectorIsNone() {
    api.answer(GAE_VERSION, 200, "appengine-version-no-vpc.json");
    assertThat(appEngine().egress().mode()).isEqualTo(EgressMode.NONE);
  }

  @Test
  void appEngineDeniedNamesItsPermission() {
    api.answer(GAE_VERSION, 403, "error-403-permission.json");
    EgressInfo info = appEngine().egress();
    assertThat(info.mode()).isEqualTo(EgressMode.UNKNOWN);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("appengine.versions.get").contains("roles/appengine.appViewer"));
  }

  PrivateEgress appEngine() {
    return egress(Map.of("GAE_SERVICE", "default", "GAE_VERSION", "20261121t101500", "GAE_ENV", "standard"));
  }

  @Test
  void gen1FunctionConnectorFromTheFunctionsApi() {
    api.answer(GEN1_FUNCTION, 200, "function-gen1-connector.json");
    EgressInfo info = egress(Map.of("FUNCTION_NAME", "resize", "FUNCTION_REGION", "europe-west1")).egress();
    assertThat(info.mode()).isEqualTo(EgressMode.CONNECTOR);
    assertThat(info.scope()).isEqualTo(EgressScope.ALL_TRAFFIC);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("serviceConfig.vpcConnector").contains("fn-connector"));
    assertOneAuthorizedRequest(GEN1_FUNCTION);
  }

  @Test
  void cloudRunFunctionReadsItsRunServiceFirst() {
    api.answer(GEN2_SERVICE, 200, "run-service-connector.json");
    EgressInfo info = cloudRunFunction().egress();
    assertThat(info.mode()).isEqualTo(EgressMode.CONNECTOR);
    assertOneAuthorizedRequest(GEN2_SERVICE);
  }

  @Test
  void cloudRunFunctionFallsBackToTheFunctionsApiWhenRunIsDenied() {
    api.answer(GEN2_SERVICE, 403, "error-403-permission.json");
    api.answer(GEN2_FUNCTION, 200, "function-gen2-direct-vpc.json");
    EgressInfo info = cloudRunFunction().egress();
    assertThat(info.mode()).isEqualTo(EgressMode.DIRECT_VPC);
    assertThat(info.scope()).isEqualTo(EgressScope.ALL_TRAFFIC);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("run.services.get"))
        .anySatisfy(d -> assertThat(d).contains("serviceConfig.directVpcEgress = VPC_EGRESS_ALL_TRAFFIC"));
    assertThat(api.requests()).extracting(RecordingApiServer.Request::path)
        .containsExactly(GEN2_SERVICE, GEN2_FUNCTION);
    assertThat(api.requests()).allSatisfy(r -> assertThat(r.authorization()).startsWith("Bearer ya29."));
  }

  @Test
  void gen2FunctionWithoutSettingsIsUnknownWhenItsRunServiceCannotBeRead() {
    api.answer(GEN2_SERVICE, 403, "error-403-permission.json");
    api.answer(GEN2_FUNCTION, 200, "function-gen2-no-vpc.json");
    EgressInfo info = cloudRunFunction().egress();
    // Direct VPC may be set on the backing Cloud Run service, which we could not read: not "none".
    assertThat(info.mode()).isEqualTo(EgressMode.UNKNOWN);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("backing Cloud Run service"));
    assertThat(api.requests()).hasSize(2);
  }

  @Test
  void aGen2FunctionWithoutSettingsFollowsItsBackingRunService() {
    // The function's Cloud Run service has another name than K_SERVICE says: read the one it names.
    String function = "/v2/projects/test-project/locations/us-central1/functions/hook-fn";
    api.answer(function, 200, "function-gen2-no-vpc.json"); // serviceConfig.service = .../services/hook
    api.answer(GEN2_SERVICE, 200, "run-service-direct-vpc.json");
    EgressInfo info = egress(Map.of("FUNCTION_TARGET", "com.example.Hook", "K_SERVICE", "hook-fn")).egress();
    assertThat(info.mode()).isEqualTo(EgressMode.DIRECT_VPC);
    assertThat(api.requests()).extracting(RecordingApiServer.Request::path).containsExactly(
        "/v2/projects/test-project/locations/us-central1/services/hook-fn", function, GEN2_SERVICE);
  }

  PrivateEgress cloudRunFunction() {
    return egress(Map.of("FUNCTION_TARGET", "com.example.Hook", "K_SERVICE", "hook", "K_REVISION", "hook-00002-kez"));
  }

  @Test
  void permissionDeniedIsUnknownWithTheMissingPermissionAndRole() {
    api.answer(RUN_SERVICE, 403, "error-403-permission.json");
    PrivateEgress egress = runService();
    EgressInfo info = egress.egress();
    assertThat(info.mode()).isEqualTo(EgressMode.UNKNOWN);
    assertThat(info.scope()).isEqualTo(EgressScope.UNKNOWN);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("permission denied (403)").contains("run.services.get")
            .contains("roles/run.viewer").contains("PRIVATE_EGRESS_MODE"));
    // A denial is final: the next call is served from the cache.
    egress.egress();
    assertThat(api.requests()).hasSize(1);
  }

  @Test
  void disabledApiSaysToEnableIt() {
    api.answer(RUN_SERVICE, 403, "error-403-disabled.json");
    EgressInfo info = runService().egress();
    assertThat(info.mode()).isEqualTo(EgressMode.UNKNOWN);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("is not enabled").contains("run.googleapis.com"));
  }

  @Test
  void notFoundIsUnknownAndNamesThePath() {
    // nothing configured: the server answers Google's 404 document
    EgressInfo info = runService().egress();
    assertThat(info.mode()).isEqualTo(EgressMode.UNKNOWN);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("not found (404)").contains(RUN_SERVICE));
  }

  @Test
  void malformedJsonIsUnknown() {
    api.answerRaw(RUN_SERVICE, 200, "{\"template\": {\"vpcAccess\": ");
    EgressInfo info = runService().egress();
    assertThat(info.mode()).isEqualTo(EgressMode.UNKNOWN);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("malformed response"));
  }

  @Test
  void nonObjectJsonIsUnknown() {
    api.answerRaw(RUN_SERVICE, 200, "[1,2,3]");
    assertThat(runService().egress().mode()).isEqualTo(EgressMode.UNKNOWN);
  }

  @Test
  void unknownEgressValueKeepsTheModeButNotTheScope() {
    api.answerRaw(RUN_SERVICE, 200,
        "{\"template\":{\"vpcAccess\":{\"connector\":\"projects/p/locations/r/connectors/c\",\"egress\":\"SOMETHING_NEW\"}}}");
    EgressInfo info = runService().egress();
    assertThat(info.mode()).isEqualTo(EgressMode.CONNECTOR);
    assertThat(info.scope()).isEqualTo(EgressScope.UNKNOWN);
    assertThat(info.evidence()).extracting(Evidence::detail)
        .anySatisfy(d -> assertThat(d).contains("SOMETHING_NEW"));
  }
}
