package dev.privateegress.samples.counter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Parses every YAML file the samples ship and checks that each Cloud Run manifest and the App Engine
 * {@code app.yaml} declare to the SDK ({@code PRIVATE_EGRESS_MODE}/{@code SCOPE}) the egress they configure.
 */
class DeployManifestsTest {
  private static final Path SAMPLES = Path.of("").toAbsolutePath().getParent();
  private static final List<String> SERVICES = List.of("redis-counter", "internal-api", "pubsub-relay", "function-caller");
  private static final List<String> SPRING = List.of("redis-counter", "internal-api", "pubsub-relay");

  private static Object load(Path file) throws IOException {
    try (Reader r = Files.newBufferedReader(file)) {
      return new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
    }
  }

  @Test
  void everyShippedYamlFileParses() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(SAMPLES)) {
      files = s.filter(p -> !p.toString().contains("/target/") && !p.toString().contains("/src/test/"))
          .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(2 * SERVICES.size() + 1);
    for (Path f : files) {
      assertThat(load(f)).as(f.toString()).isInstanceOf(Map.class);
    }
  }

  @Test
  void eachServiceShipsBothEgressModesDeclaredAsConfigured() throws IOException {
    for (String service : SERVICES) {
      for (String mode : List.of("connector", "direct-vpc")) {
        Path file = SAMPLES.resolve(service).resolve("deploy").resolve("cloud-run-" + mode + ".yaml");
        assertThat(file).as("%s ships a %s manifest", service, mode).isRegularFile();
        checkCloudRun(service, mode, file);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static void checkCloudRun(String service, String mode, Path file) throws IOException {
    String where = file.toString();
    Map<String, Object> doc = (Map<String, Object>) load(file);
    assertThat(doc.get("apiVersion")).as(where).isEqualTo("serving.knative.dev/v1");
    assertThat(doc.get("kind")).as(where).isEqualTo("Service");
    assertThat(map(doc, "metadata").get("name")).as(where).isEqualTo(service);
    Map<String, Object> template = map(map(doc, "spec"), "template");
    Map<String, Object> annotations = map(map(template, "metadata"), "annotations");
    Object connector = annotations.get("run.googleapis.com/vpc-access-connector");
    Object interfaces = annotations.get("run.googleapis.com/network-interfaces");
    if (mode.equals("connector")) {
      assertThat(connector).as(where).asString().matches("projects/[^/]+/locations/[^/]+/connectors/[^/]+");
      assertThat(interfaces).as(where + ": a connector and Direct VPC exclude each other").isNull();
    } else {
      assertThat(connector).as(where).isNull();
      // The annotation is a JSON array in a string; JSON is YAML.
      List<Map<String, Object>> nics = (List<Map<String, Object>>) new Yaml().load((String) interfaces);
      assertThat(nics).as(where + ": one network interface").hasSize(1);
      assertThat(nics.get(0)).as(where).containsKeys("network", "subnetwork");
    }
    String scope = (String) annotations.get("run.googleapis.com/vpc-access-egress");
    assertThat(scope).as(where).isIn("all-traffic", "private-ranges-only");
    assertThat(annotations.get("run.googleapis.com/startup-cpu-boost")).as(where + ": JVM start-up is CPU-bound")
        .isEqualTo("true");

    List<Map<String, Object>> containers = (List<Map<String, Object>>) map(template, "spec").get("containers");
    assertThat(containers).as(where).hasSize(1);
    Map<String, Object> c = containers.get(0);
    assertThat((String) c.get("image")).as(where).endsWith("/" + service);
    assertThat((List<Map<String, Object>>) c.get("ports")).as(where).extracting(p -> p.get("containerPort")).containsExactly(8080);
    Map<String, String> env = new java.util.LinkedHashMap<>();
    for (Map<String, Object> e : (List<Map<String, Object>>) c.get("env")) {
      env.put((String) e.get("name"), String.valueOf(e.get("value")));
    }
    assertThat(env).as(where + ": the SDK is told what the manifest configures")
        .containsEntry("PRIVATE_EGRESS_MODE", mode).containsEntry("PRIVATE_EGRESS_SCOPE", scope);
    Map<String, Object> probe = map(c, "startupProbe");
    if (SPRING.contains(service)) {
      assertThat(map(probe, "httpGet")).as(where).containsEntry("path", "/actuator/health/readiness").containsEntry("port", 8080);
    } else {
      assertThat(map(probe, "tcpSocket")).as(where).containsEntry("port", 8080);
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void theAppEngineAppYamlUsesAConnectorAndDeclaresItsEgressSetting() throws IOException {
    Path file = SAMPLES.resolve("internal-api").resolve("app.yaml");
    Map<String, Object> app = (Map<String, Object>) load(file);
    assertThat(app.get("runtime")).isEqualTo("java21");
    Map<String, Object> connector = map(app, "vpc_access_connector");
    assertThat((String) connector.get("name")).matches("projects/[^/]+/locations/[^/]+/connectors/[^/]+");
    String setting = (String) connector.get("egress_setting");
    assertThat(setting).isIn("all-traffic", "private-ip-ranges");
    Map<String, Object> env = map(app, "env_variables");
    assertThat(env).containsEntry("PRIVATE_EGRESS_MODE", "connector")
        .containsEntry("PRIVATE_EGRESS_SCOPE", setting.equals("all-traffic") ? "all-traffic" : "private-ranges-only")
        .containsKey("INTERNAL_API_URL");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Map<String, Object> parent, String key) {
    Object v = parent.get(key);
    assertThat(v).as("'%s' in %s", key, new ArrayList<>(parent.keySet())).isInstanceOf(Map.class);
    return (Map<String, Object>) v;
  }
}
