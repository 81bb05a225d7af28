package dev.privateegress.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.privateegress.EgressMode;
import dev.privateegress.EgressScope;
import dev.privateegress.Evidence;
import dev.privateegress.EvidenceSource;
import dev.privateegress.Platform;
import dev.privateegress.Token;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.function.Supplier;

/**
 * Step 2 of egress detection: reads the platform's own deployment from its admin API with the runtime's
 * access token and maps the VPC settings found there to a mode and scope.
 *
 * <ul>
 *   <li>Cloud Run service / function: {@code GET run/v2/.../services/{K_SERVICE}} &rarr; {@code
 *       template.vpcAccess}
 *   <li>Cloud Run job: {@code GET run/v2/.../jobs/{CLOUD_RUN_JOB}} &rarr; {@code template.template.vpcAccess}
 *       (Job.template is an ExecutionTemplate whose {@code template} is the TaskTemplate)
 *   <li>Cloud Run worker pool: {@code GET run/v2/.../workerPools/{CLOUD_RUN_WORKER_POOL}} &rarr; {@code
 *       template.vpcAccess}
 *   <li>Cloud Functions (both generations; also tried for Cloud Run functions when the Run read fails):
 *       {@code GET cloudfunctions/v2/.../functions/{name}} &rarr; {@code serviceConfig.vpcConnector*} and
 *       {@code serviceConfig.directVpc*}
 *   <li>App Engine standard: {@code GET appengine/v1/apps/{p}/services/{GAE_SERVICE}/versions/{GAE_VERSION}}
 *       &rarr; {@code vpcAccessConnector}
 * </ul>
 *
 * <p>Mapping: network interfaces &rarr; direct-vpc; a connector &rarr; connector; neither &rarr; none. Egress
 * {@code ALL_TRAFFIC} &rarr; all-traffic; the private-range values, or no value (the APIs' default), &rarr;
 * private-ranges-only. Denials, timeouts and malformed answers become {@code unknown} with evidence that
 * names what is missing; nothing here throws.
 */
public final class EgressLookup {

  /**
   * What one lookup established.
   *
   * @param retryLater the failure may pass later (network, timeout, 5xx, token); do not cache for good
   */
  public record Finding(EgressMode mode, EgressScope scope, List<Evidence> evidence, boolean retryLater) {
    public Finding {
      evidence = List.copyOf(evidence);
    }

    static Finding unknown(String detail, boolean retryLater) {
      return new Finding(EgressMode.UNKNOWN, EgressScope.UNKNOWN,
          List.of(new Evidence(EvidenceSource.ADMIN_API, detail)), retryLater);
    }
  }

  /** One readable resource: where it is, what reading it needs, how to map it. */
  record Resource(String kind, String name, String url, String permission, String role, String api,
      Mapper mapper) {
    String label() {
      return kind + " " + name;
    }
  }

  @FunctionalInterface
  interface Mapper {
    Mapped map(JsonObject document, Resource resource);
  }

  /** A mapped document, or a pointer to the Cloud Run service that decides (2nd-gen functions). */
  record Mapped(Finding finding, String followName, String followUrl) {
    static Mapped of(Finding f) {
      return new Mapped(f, null, null);
    }
  }

  private final AdminApi api;

  public EgressLookup(AdminApi api) {
    this.api = api;
  }

  /**
   * Reads the deployment of {@code platform} and maps it. Never throws.
   *
   * @param env the process environment (names of the service, job, version, function)
   * @param project the project id, if known
   * @param region the region, if known
   * @param token supplies the access token; may throw
   * @param deadlineNanos {@link System#nanoTime()} by which everything must be done
   * @param inputsFailed reading the project or region failed for a reason that may pass (metadata server
   *     timeout, 5xx): a finding that lacks them is then worth another lookup later
   */
  public Finding lookup(Platform platform, Map<String, String> env, Optional<String> project,
      Optional<String> region, Supplier<Token> token, long deadlineNanos, boolean inputsFailed) {
    List<Resource> resources;
    try {
      resources = resources(platform, env, project, region);
    } catch (MissingInput e) {
      return Finding.unknown(e.getMessage(), inputsFailed);
    }
    if (resources.isEmpty()) {
      return new Finding(EgressMode.UNKNOWN, EgressScope.UNKNOWN, List.of(), false);
    }
    String accessToken;
    try {
      accessToken = token.get().value();
    } catch (RuntimeException e) {
      return Finding.unknown("no access token to read the " + resources.get(0).label() + " with ("
          + e.getMessage() + ")", true);
    }
    List<Evidence> evidence = new ArrayList<>();
    boolean retryLater = false;
    List<String> tried = new ArrayList<>();
    for (int i = 0; i < resources.size(); i++) {
      Resource r = resources.get(i);
      tried.add(r.url());
      AdminApi.Response response = api.get(r.url(), accessToken, remaining(deadlineNanos));
      if (!response.ok()) {
        evidence.add(new Evidence(EvidenceSource.ADMIN_API, explain(r, response, project)));
        retryLater |= response.transientFailure();
        if (response.timedOut()) {
          break; // the budget is gone; the next resource would time out too
        }
        continue;
      }
      Mapped m = r.mapper().map(response.json().get(), r);
      evidence.addAll(m.finding().evidence());
      if (m.followUrl() != null) {
        if (!tried.contains(m.followUrl())) {
          // A 2nd-gen function without connector settings: Direct VPC lives on its Cloud Run service.
          resources = new ArrayList<>(resources);
          resources.add(i + 1, runService(m.followName(), m.followUrl()));
        }
        continue;
      }
      return new Finding(m.finding().mode(), m.finding().scope(), evidence, false);
    }
    return new Finding(EgressMode.UNKNOWN, EgressScope.UNKNOWN, evidence, retryLater);
  }

  private static final class MissingInput extends Exception {
    private static final long serialVersionUID = 1L;

    MissingInput(String message) {
      super(message, null, false, false);
    }
  }

  List<Resource> resources(Platform platform, Map<String, String> env, Optional<String> project,
      Optional<String> region) throws MissingInput {
    return switch (platform) {
      case CLOUD_RUN_SERVICE -> List.of(runService(need(env, "K_SERVICE"), project, region));
      case CLOUD_RUN_FUNCTION -> {
        String name = need(env, "K_SERVICE");
        yield List.of(runService(name, project, region), function(name, project, region));
      }
      case CLOUD_RUN_JOB -> List.of(runJob(need(env, "CLOUD_RUN_JOB"), project, region));
      case CLOUD_RUN_WORKER_POOL -> List.of(workerPool(need(env, "CLOUD_RUN_WORKER_POOL"), project, region));
      case CLOUD_FUNCTIONS_GEN1 -> {
        String name = first(env, "FUNCTION_NAME", "X_GOOGLE_FUNCTION_NAME");
        if (name.isEmpty()) {
          throw new MissingInput("FUNCTION_NAME is not set, so the function cannot be looked up");
        }
        yield List.of(function(name, project, region));
      }
      case APP_ENGINE_STANDARD -> List.of(appEngineVersion(need(env, "GAE_SERVICE"), need(env, "GAE_VERSION"),
          project));
      default -> List.of();
    };
  }

  private Resource runService(String name, Optional<String> project, Optional<String> region)
      throws MissingInput {
    return runService(name, v2Url(AdminApi.RUN, "services", name, project, region));
  }

  private static Resource runService(String name, String url) {
    return new Resource("Cloud Run service", name, url, "run.services.get", "roles/run.viewer",
        "Cloud Run Admin API (run.googleapis.com)", EgressLookup::fromTemplateVpcAccess);
  }

  private Resource runJob(String name, Optional<String> project, Optional<String> region) throws MissingInput {
    return new Resource("Cloud Run job", name, v2Url(AdminApi.RUN, "jobs", name, project, region), "run.jobs.get",
        "roles/run.viewer", "Cloud Run Admin API (run.googleapis.com)",
        (doc, res) -> Mapped.of(fromVpcAccess(Util.jsonObject(doc, "template")
                .flatMap(t -> Util.jsonObject(t, "template"))
                .flatMap(t -> Util.jsonObject(t, "vpcAccess")),
            res, "template.template.vpcAccess")));
  }

  private Resource workerPool(String name, Optional<String> project, Optional<String> region)
      throws MissingInput {
    return new Resource("Cloud Run worker pool", name, v2Url(AdminApi.RUN, "workerPools", name, project, region),
        "run.workerPools.get", "roles/run.viewer", "Cloud Run Admin API (run.googleapis.com)",
        EgressLookup::fromTemplateVpcAccess);
  }

  private Resource function(String name, Optional<String> project, Optional<String> region) throws MissingInput {
    return new Resource("Cloud Functions function", name, v2Url(AdminApi.FUNCTIONS, "functions", name, project,
        region), "cloudfunctions.functions.get", "roles/cloudfunctions.viewer",
        "Cloud Functions API (cloudfunctions.googleapis.com)", this::fromFunction);
  }

  /** {@code BASE/v2/projects/P/locations/R/COLLECTION/NAME}: a Cloud Run or Cloud Functions v2 resource. */
  private String v2Url(String service, String collection, String name, Optional<String> project,
      Optional<String> region) throws MissingInput {
    return api.base(service) + "/v2/projects/" + seg(needProject(project)) + "/locations/" + seg(needRegion(region))
        + "/" + collection + "/" + seg(name);
  }

  /** A service's or worker pool's {@code template.vpcAccess}. */
  private static Mapped fromTemplateVpcAccess(JsonObject doc, Resource res) {
    return Mapped.of(fromVpcAccess(Util.jsonObject(doc, "template").flatMap(t -> Util.jsonObject(t, "vpcAccess")),
        res, "template.vpcAccess"));
  }

  private Resource appEngineVersion(String service, String version, Optional<String> project)
      throws MissingInput {
    String url = api.base(AdminApi.APP_ENGINE) + "/v1/apps/" + seg(needProject(project)) + "/services/"
        + seg(service) + "/versions/" + seg(version);
    return new Resource("App Engine version", service + "/" + version, url, "appengine.versions.get",
        "roles/appengine.appViewer", "App Engine Admin API (appengine.googleapis.com)",
        (doc, res) -> Mapped.of(fromAppEngineVersion(doc, res)));
  }

  // ---------------------------------------------------------------------------------------------
  // Mapping

  /** Cloud Run v2 {@code VpcAccess {connector, egress, networkInterfaces}}. */
  static Finding fromVpcAccess(Optional<JsonObject> vpcAccess, Resource r, String field) {
    List<Evidence> ev = new ArrayList<>();
    JsonObject va = vpcAccess.orElse(null);
    JsonArray nics = Util.jsonArray(va, "networkInterfaces");
    String connector = Util.jsonString(va, "connector");
    EgressMode mode;
    if (nics.size() > 0) {
      mode = EgressMode.DIRECT_VPC;
      ev.add(admin(r.label() + ": " + field + ".networkInterfaces = " + describeInterfaces(nics)
          + " -> Direct VPC egress"));
    } else if (!connector.isEmpty()) {
      mode = EgressMode.CONNECTOR;
      ev.add(admin(r.label() + ": " + field + ".connector = " + connector + " -> Serverless VPC Access connector"));
    } else {
      ev.add(admin(r.label() + ": " + field + " has no connector and no networkInterfaces -> no VPC egress"));
      return new Finding(EgressMode.NONE, EgressScope.UNKNOWN, ev, false);
    }
    EgressScope scope = scope(Util.jsonString(va, "egress"), field + ".egress", ev);
    return new Finding(mode, scope, ev, false);
  }

  /** App Engine {@code Version.vpcAccessConnector {name, egressSetting}}. */
  static Finding fromAppEngineVersion(JsonObject version, Resource r) {
    List<Evidence> ev = new ArrayList<>();
    Optional<JsonObject> vac = Util.jsonObject(version, "vpcAccessConnector");
    String name = vac.map(o -> Util.jsonString(o, "name")).orElse("");
    if (name.isEmpty()) {
      ev.add(admin(r.label() + ": no vpcAccessConnector -> no VPC egress"));
      return new Finding(EgressMode.NONE, EgressScope.UNKNOWN, ev, false);
    }
    ev.add(admin(r.label() + ": vpcAccessConnector.name = " + name + " -> Serverless VPC Access connector"));
    EgressScope scope = scope(Util.jsonString(vac.get(), "egressSetting"), "vpcAccessConnector.egressSetting", ev);
    return new Finding(EgressMode.CONNECTOR, scope, ev, false);
  }

  /** Cloud Functions v2 {@code Function.serviceConfig}: connector settings, Direct VPC, backing service. */
  Mapped fromFunction(JsonObject function, Resource r) {
    List<Evidence> ev = new ArrayList<>();
    Optional<JsonObject> sc = Util.jsonObject(function, "serviceConfig");
    JsonObject config = sc.orElse(null);
    JsonArray nics = Util.jsonArray(config, "directVpcNetworkInterface");
    String connector = Util.jsonString(config, "vpcConnector");
    if (nics.size() > 0) {
      ev.add(admin(r.label() + ": serviceConfig.directVpcNetworkInterface = " + describeInterfaces(nics)
          + " -> Direct VPC egress"));
      EgressScope scope = scope(Util.jsonString(config, "directVpcEgress"), "serviceConfig.directVpcEgress", ev);
      return Mapped.of(new Finding(EgressMode.DIRECT_VPC, scope, ev, false));
    }
    if (!connector.isEmpty()) {
      ev.add(admin(r.label() + ": serviceConfig.vpcConnector = " + connector
          + " -> Serverless VPC Access connector"));
      EgressScope scope = scope(Util.jsonString(config, "vpcConnectorEgressSettings"),
          "serviceConfig.vpcConnectorEgressSettings", ev);
      return Mapped.of(new Finding(EgressMode.CONNECTOR, scope, ev, false));
    }
    String environment = Util.jsonString(function, "environment");
    String service = Util.jsonString(config, "service");
    if (!"GEN_1".equals(environment) && !service.isEmpty()) {
      // Direct VPC set on the backing Cloud Run service does not show here; read that service.
      ev.add(admin(r.label() + ": no connector or Direct VPC in serviceConfig; the backing Cloud Run service "
          + service + " decides"));
      return new Mapped(new Finding(EgressMode.UNKNOWN, EgressScope.UNKNOWN, ev, false),
          service.substring(service.lastIndexOf('/') + 1), api.base(AdminApi.RUN) + "/v2/" + service);
    }
    ev.add(admin(r.label() + ": serviceConfig has no vpcConnector and no directVpcNetworkInterface -> no VPC egress"));
    return Mapped.of(new Finding(EgressMode.NONE, EgressScope.UNKNOWN, ev, false));
  }

  /** Egress setting values of all three APIs; unset means the APIs' default, private ranges only. */
  static EgressScope scope(String value, String field, List<Evidence> ev) {
    String v = value == null ? "" : value.trim().toUpperCase(Locale.ROOT);
    if (v.isEmpty() || v.endsWith("UNSPECIFIED")) {
      ev.add(admin(field + " not set -> private-ranges-only (the API default, assumed)"));
      return EgressScope.PRIVATE_RANGES_ONLY;
    }
    if (v.equals("ALL_TRAFFIC") || v.equals("VPC_EGRESS_ALL_TRAFFIC")) {
      ev.add(admin(field + " = " + value + " -> all-traffic"));
      return EgressScope.ALL_TRAFFIC;
    }
    if (v.equals("PRIVATE_RANGES_ONLY") || v.equals("PRIVATE_IP_RANGES") || v.equals("VPC_EGRESS_PRIVATE_RANGES_ONLY")) {
      ev.add(admin(field + " = " + value + " -> private-ranges-only"));
      return EgressScope.PRIVATE_RANGES_ONLY;
    }
    ev.add(admin(field + " = " + value + " is not a value this SDK knows -> scope unknown"));
    return EgressScope.UNKNOWN;
  }

  /** The evidence line for a failed read: what failed and what would fix it. */
  static String explain(Resource r, AdminApi.Response response, Optional<String> project) {
    String what = "cannot read " + r.label();
    String declare = "; or declare PRIVATE_EGRESS_MODE and PRIVATE_EGRESS_SCOPE";
    String detail = response.error().isEmpty() ? "" : " (" + response.error() + ")";
    int s = response.status();
    if (s == 403 && isDisabled(response)) {
      return what + ": the " + r.api() + " is not enabled in project " + project.orElse("?")
          + detail + ". Enable it to let detection read the VPC settings" + declare;
    }
    if (s == 403) {
      return what + ": permission denied (403), the runtime service account lacks " + r.permission()
          + " (in " + r.role() + "). Grant it on the " + r.kind() + " to let detection read the VPC settings"
          + declare;
    }
    if (s == 401) {
      return what + ": the access token was rejected (401)" + detail + declare;
    }
    if (s == 404) {
      return what + ": not found (404) at " + path(r.url()) + "; check the project, region and name" + declare;
    }
    if (response.timedOut()) {
      return what + ": " + host(r.url()) + " gave no answer in time (" + response.error() + "). With "
          + "all-traffic egress Google APIs need Private Google Access or Cloud NAT" + declare;
    }
    if (s == -1) {
      return what + ": " + host(r.url()) + " unreachable (" + response.error() + ")" + declare;
    }
    if (s == 200) {
      return what + ": malformed response (" + response.error() + ")" + declare;
    }
    return what + ": HTTP " + s + detail + declare;
  }

  private static boolean isDisabled(AdminApi.Response response) {
    String reason = response.reason();
    String m = response.error().toLowerCase(Locale.ROOT);
    return reason.equals("SERVICE_DISABLED") || m.contains("has not been used") || m.contains("is disabled");
  }

  private static String describeInterfaces(JsonArray nics) {
    StringJoiner j = new StringJoiner("; ", "[", "]");
    for (JsonElement e : nics) {
      if (!e.isJsonObject()) {
        continue;
      }
      JsonObject n = e.getAsJsonObject();
      StringJoiner one = new StringJoiner(", ");
      for (String k : List.of("network", "subnetwork")) {
        String v = Util.jsonString(n, k);
        if (!v.isEmpty()) {
          one.add(k + " " + v);
        }
      }
      JsonArray tags = Util.jsonArray(n, "tags");
      if (tags.size() > 0) {
        one.add("tags " + tags);
      }
      j.add(one.length() == 0 ? "{}" : one.toString());
    }
    return j.toString();
  }

  private static Evidence admin(String detail) {
    return new Evidence(EvidenceSource.ADMIN_API, detail);
  }

  private static String need(Map<String, String> env, String name) throws MissingInput {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      throw new MissingInput(name + " is not set, so the deployment cannot be looked up");
    }
    return v.trim();
  }

  private static String first(Map<String, String> env, String... names) {
    for (String n : names) {
      String v = env.get(n);
      if (v != null && !v.isBlank()) {
        return v.trim();
      }
    }
    return "";
  }

  private static String needProject(Optional<String> project) throws MissingInput {
    return project.orElseThrow(() -> new MissingInput(
        "project id unknown (no GOOGLE_CLOUD_PROJECT and no metadata server), so the admin API cannot be asked"));
  }

  private static String needRegion(Optional<String> region) throws MissingInput {
    return region.orElseThrow(() -> new MissingInput(
        "region unknown (no metadata server answer for instance/region), so the admin API cannot be asked"));
  }

  private static String seg(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String host(String url) {
    try {
      return URI.create(url).getAuthority();
    } catch (IllegalArgumentException e) {
      return url;
    }
  }

  private static String path(String url) {
    try {
      return URI.create(url).getPath();
    } catch (IllegalArgumentException e) {
      return url;
    }
  }

  static Duration remaining(long deadlineNanos) {
    return Duration.ofNanos(deadlineNanos - System.nanoTime());
  }
}
