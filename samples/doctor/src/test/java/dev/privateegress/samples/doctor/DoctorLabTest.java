package dev.privateegress.samples.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.privateegress.testing.NetworkLab;
import dev.privateegress.testing.NetworkLab.Egress;
import dev.privateegress.testing.NetworkLab.Firewall;
import dev.privateegress.testing.NetworkLab.Namespace;
import dev.privateegress.testing.NetworkLab.Nat;
import dev.privateegress.testing.NetworkLab.Resolver;
import dev.privateegress.testing.NetworkLab.Scope;
import dev.privateegress.testing.TlsMaterial;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The doctor's causes, proven on a real network: each row breaks one thing in the {@link NetworkLab} (a Cloud
 * Run instance egressing through a connector or Direct VPC into a VPC with an internal load balancer and
 * Memorystore), runs the SDK inside the instance namespace with production configuration (no
 * GCE_METADATA_HOST, no host map) through {@code egress.doctor(...)}, the doctor CLI and {@code awaitReady}, and
 * expects exactly its cause: the right check fails, and its advice names the cause first. One lab and one agent
 * JVM serve every row; each row prints what it showed (docs/lab.md holds the table).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DoctorLabTest {
  static final String AUTH = "lab-auth-string-0123";
  static final String ILB = "http://my.api.private/";
  static final String REDIS_TLS = "rediss://" + NetworkLab.REDIS_IP + ":6378";
  static final String ALLOWLISTED = "http://allowlisted.example.net/";

  NetworkLab lab;
  TlsMaterial tls;
  TlsMaterial otherCa;
  Process agent;
  BufferedReader agentOut;
  OutputStream agentIn;
  int nextId;

  @BeforeAll
  void build() throws Exception {
    NetworkLab.unavailableReason().ifPresent(r -> System.out.println("DoctorLabTest skipped: " + r));
    assumeTrue(NetworkLab.unavailableReason().isEmpty());
    assumeTrue(TlsMaterial.opensslAvailable(), "openssl needed for the Memorystore TLS port");
    tls = TlsMaterial.generate(NetworkLab.REDIS_IP);
    otherCa = TlsMaterial.generate(NetworkLab.REDIS_IP);
    lab = NetworkLab.start().privateRecord("my.api.private", NetworkLab.ILB_IP)
        .internalLoadBalancer("http://my.api.private").memorystore(AUTH, tls).dnsFaults();
    agent = lab.startJavaPiped(Namespace.INSTANCE, Map.of(), LabAgent.class.getName());
    agentIn = agent.getOutputStream();
    agentOut = new BufferedReader(new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8));
    assertThat(CompletableFuture.supplyAsync(this::readLine).get(60, TimeUnit.SECONDS)).isEqualTo("ready");
  }

  @AfterAll
  void tearDown() throws Exception {
    if (agent != null) {
      agentIn.close();
      agent.waitFor(5, TimeUnit.SECONDS);
    }
    if (lab != null) {
      lab.close();
    }
    if (tls != null) {
      tls.close();
      otherCa.close();
    }
  }

  /** What the platform sets (Cloud Run) and what the user configured for this service. */
  Map<String, String> baselineEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("K_SERVICE", "internal-api");
    env.put("K_REVISION", "internal-api-00001-abc");
    env.put("K_CONFIGURATION", "internal-api");
    env.put("PORT", "8080");
    env.put("REDISHOST", NetworkLab.REDIS_IP);
    env.put("REDISPORT", "6378");
    env.put("REDIS_AUTH", AUTH);
    env.put("REDIS_TLS_CA", tls.caCertificate().toString());
    env.put("PRIVATE_EGRESS_AUDIENCES", "my.api.private=http://my.api.private");
    return env;
  }

  void baseline() {
    lab.egress(Egress.CONNECTOR, Scope.ALL_TRAFFIC).cloudNat(Nat.STATIC).privateZone(true).metadataServer(true)
        .resolver(Resolver.UP).firewall(NetworkLab.REDIS_IP, 6378, Firewall.ALLOW);
  }

  /** One misconfiguration: how to build it, the extra variables, the targets, and the cause it must produce. */
  record Row(String name, Consumer<NetworkLab> breakIt, Map<String, String> env, List<String> targets,
      String check, String target, String cause) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Row row(String name, Consumer<NetworkLab> breakIt, Map<String, String> env, List<String> targets,
      String check, String target, String cause) {
    return new Row(name, breakIt, env, targets, check, target, cause);
  }

  static final List<String> BOTH = List.of(REDIS_TLS, ILB); // Redis first: an answer there is egress evidence

  Stream<Row> rows() {
    String auth = "redis://:" + AUTH + "@" + NetworkLab.REDIS_IP + ":6379";
    return Stream.of(
        row("no egress attached", l -> l.egress(Egress.NONE, Scope.PRIVATE_RANGES_ONLY), Map.of(), BOTH,
            "tcp", REDIS_TLS, "no VPC egress"),
        row("no egress attached: the private name", l -> l.egress(Egress.NONE, Scope.PRIVATE_RANGES_ONLY), Map.of(),
            BOTH, "dns", ILB, "no VPC egress"),
        row("zone not attached", l -> l.privateZone(false), Map.of(), BOTH, "dns", ILB, "private zone not visible"),
        row("firewall drops", l -> l.firewall(NetworkLab.REDIS_IP, 6378, Firewall.DROP), Map.of(),
            List.of(ILB, REDIS_TLS), "tcp", REDIS_TLS, "packets are dropped"),
        row("firewall rejects", l -> l.firewall(NetworkLab.REDIS_IP, 6378, Firewall.REJECT), Map.of(),
            List.of(ILB, REDIS_TLS), "tcp", REDIS_TLS, "a firewall rejects the connection"),
        row("TLS port dialled in plaintext", l -> { }, Map.of("REDIS_TLS_CA", ""),
            List.of("redis://" + NetworkLab.REDIS_IP + ":6378"), "redis", "6378", "TLS port dialled in plaintext"),
        row("wrong AUTH", l -> { }, Map.of("REDIS_AUTH", "not-the-auth-string"), List.of(REDIS_TLS), "redis",
            REDIS_TLS, "wrong AUTH"),
        row("wrong CA", l -> { }, Map.of("REDIS_TLS_CA", otherCa.caCertificate().toString()), List.of(REDIS_TLS),
            "tls", REDIS_TLS, "the server's certificate is not signed by any CA in REDIS_TLS_CA"),
        row("audience the load balancer refuses", l -> { },
            Map.of("PRIVATE_EGRESS_AUDIENCES", "my.api.private=https://other.example"), List.of(ILB), "http", ILB,
            "the target rejected the ID token: the audience https://other.example"),
        row("metadata server down", l -> l.metadataServer(false), Map.of(), List.of(ILB), "token", ILB,
            "metadata server unreachable"),
        row("resolver down", l -> l.resolver(Resolver.DOWN), Map.of(), List.of(ILB), "dns", ILB,
            "resolver did not answer"),
        row("resolver silent", l -> l.resolver(Resolver.SILENT), Map.of(), List.of(ILB), "dns", ILB,
            "resolver did not answer"),
        row("name does not exist (NXDOMAIN)", l -> { }, Map.of(), List.of(REDIS_TLS, "http://nxdomain.dnstest.example/"),
            "dns", "nxdomain.dnstest.example", "private zone not visible"),
        row("no such record type (NODATA)", l -> { }, Map.of(), List.of("http://nodata.dnstest.example/"), "dns",
            "nodata.dnstest.example", "no such record type (NODATA)"),
        row("resolver fails (SERVFAIL)", l -> { }, Map.of(), List.of("http://servfail.dnstest.example/"), "dns",
            "servfail.dnstest.example", "resolver failed (SERVFAIL)"),
        row("resolver refuses (REFUSED)", l -> { }, Map.of(), List.of("http://refused.dnstest.example/"), "dns",
            "refused.dnstest.example", "resolver refused (REFUSED)"),
        row("public address under private-ranges-only", l -> l.egress(Egress.CONNECTOR, Scope.PRIVATE_RANGES_ONLY),
            Map.of("PRIVATE_EGRESS_SCOPE", "private-ranges-only"), List.of(ALLOWLISTED), "dns", ALLOWLISTED,
            "route bypasses the VPC"),
        row("static address bypassed (private-ranges-only)", l -> l.egress(Egress.DIRECT_VPC, Scope.PRIVATE_RANGES_ONLY),
            Map.of("PRIVATE_EGRESS_SCOPE", "private-ranges-only"), List.of(), "egress-ip", "echo.example.net",
            "private-ranges-only sends public traffic without Cloud NAT"),
        row("all-traffic without NAT", l -> l.cloudNat(Nat.OFF), Map.of("PRIVATE_EGRESS_SCOPE", "all-traffic"),
            List.of(), "egress-ip", "echo.example.net", "all-traffic without Cloud NAT"),
        row("Cloud NAT without the static address", l -> l.cloudNat(Nat.EPHEMERAL),
            Map.of("PRIVATE_EGRESS_SCOPE", "all-traffic"), List.of(), "egress-ip", "echo.example.net",
            "Cloud NAT is not configured for the subnet"),
        row("sidecar not started", l -> { }, Map.of(), List.of("tcp://127.0.0.1:5432"), "tcp", "127.0.0.1:5432",
            "nothing listens on 127.0.0.1:5432"),
        row("Memorystore on another port", l -> { }, Map.of(), List.of(auth.replace(":6379", ":6390")), "tcp", "6390",
            "the host answered but refused port 6390"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void eachMisconfigurationProducesItsCause(Row row) throws Exception {
    baseline();
    row.breakIt().accept(lab);
    Map<String, String> env = baselineEnv();
    env.put("PRIVATE_EGRESS_STATIC_IP", NetworkLab.NAT_STATIC_IP);
    env.put("PRIVATE_EGRESS_IP_ECHO", "http://echo.example.net/");
    row.env().forEach((k, v) -> {
      if (v.isEmpty()) {
        env.remove(k);
      } else {
        env.put(k, v);
      }
    });
    Map<String, Answer> answers = ask(env, row.targets(), "doctor", "cli", "await");
    JsonObject doctor = JsonParser.parseString(answers.get("doctor").text()).getAsJsonObject();
    JsonObject failed = firstFailure(doctor, row);
    System.out.printf("lab row | %s | %s | %s | %s ms | %s%n", row.name(), failed.get("check").getAsString(),
        failed.get("detail").getAsString(), failed.get("millis").getAsLong(), failed.get("advice").getAsString());
    assertThat(failed.get("advice").getAsString()).as(row.name() + ": " + failed).startsWith(row.cause());
    assertThat(failed.get("millis").getAsLong()).as("within 4 s").isLessThan(4000);

    String cli = answers.get("cli").text();
    assertThat(cli).startsWith("exit 1\n");
    JsonObject cliReport = JsonParser.parseString(cli.substring("exit 1\n".length()).trim()).getAsJsonObject();
    assertThat(firstFailure(cliReport, row).get("advice").getAsString()).startsWith(row.cause());

    String await = answers.get("await").text();
    if (row.name().startsWith("audience")) { // readiness means reachable: a 401 is an answer (DESIGN §7)
      assertThat(await).isEqualTo("ready");
      return;
    }
    assertThat(await).as("awaitReady").startsWith("not ready after 2000 ms")
        .contains(" " + row.check() + ": ").contains("-> " + row.cause());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("topologies")
  void egressDetectionAndTheStaticAddressPerTopology(Egress mode, Scope scope, String verdict, String seen)
      throws Exception {
    baseline();
    lab.egress(mode, scope);
    Map<String, String> env = baselineEnv();
    env.put("PRIVATE_EGRESS_IP_ECHO", "http://echo.example.net/");
    JsonObject report = JsonParser.parseString(ask(env, BOTH, "doctor").get("doctor").text()).getAsJsonObject();
    JsonObject egress = report.getAsJsonObject("egress");
    System.out.printf("lab topology | %s %s | %s from %s | evidence %s | echo %s%n", mode, scope,
        egress.get("mode").getAsString(), egress.get("source").getAsString(), egress.get("evidence"),
        detailOf(report, "egress-ip"));
    assertThat(egress.get("mode").getAsString()).isEqualTo(verdict);
    assertThat(detailOf(report, "egress-ip")).startsWith("public traffic leaves from " + seen);
  }

  /** The sidecar field report: awaitReady holds the service until the sidecar on 127.0.0.1:5432 listens. */
  @org.junit.jupiter.api.Test
  void awaitReadyWaitsForTheSidecar() throws Exception {
    baseline();
    Map<String, String> env = baselineEnv();
    env.put("LAB_AWAIT_SECONDS", "60");
    Map<String, String> ids = send(env, List.of("tcp://127.0.0.1:5432"), "await");
    // started after the wait began: until it listens, every round is refused
    Process sidecar = lab.start(Namespace.INSTANCE, Map.of(), List.of("redis-server", "--bind", "127.0.0.1",
        "--port", "5432", "--save", "", "--appendonly", "no"));
    assertThat(receive(ids, 1).get("await").text()).as(lab.output(sidecar)).isEqualTo("ready");
    sidecar.destroy();
    sidecar.waitFor(5, TimeUnit.SECONDS);
  }

  Stream<org.junit.jupiter.params.provider.Arguments> topologies() {
    return Stream.of(
        org.junit.jupiter.params.provider.Arguments.of(Egress.NONE, Scope.PRIVATE_RANGES_ONLY, "unknown",
            NetworkLab.OWN_PUBLIC_IP),
        org.junit.jupiter.params.provider.Arguments.of(Egress.CONNECTOR, Scope.PRIVATE_RANGES_ONLY, "vpc",
            NetworkLab.OWN_PUBLIC_IP),
        org.junit.jupiter.params.provider.Arguments.of(Egress.CONNECTOR, Scope.ALL_TRAFFIC, "vpc",
            NetworkLab.NAT_STATIC_IP),
        org.junit.jupiter.params.provider.Arguments.of(Egress.DIRECT_VPC, Scope.PRIVATE_RANGES_ONLY, "vpc",
            NetworkLab.OWN_PUBLIC_IP),
        org.junit.jupiter.params.provider.Arguments.of(Egress.DIRECT_VPC, Scope.ALL_TRAFFIC, "vpc",
            NetworkLab.NAT_STATIC_IP));
  }

  private static String detailOf(JsonObject report, String check) {
    for (JsonElement c : report.getAsJsonArray("checks")) {
      if (c.getAsJsonObject().get("check").getAsString().equals(check)) {
        return c.getAsJsonObject().get("detail").getAsString();
      }
    }
    return "(no " + check + " check)";
  }

  /** The row's failure: the first failed check of the row's kind on the row's target; every other check of
   * that kind on other targets must pass, so the cause is exactly this one. */
  private static JsonObject firstFailure(JsonObject report, Row row) {
    JsonArray checks = report.getAsJsonArray("checks");
    JsonObject found = null;
    List<String> failedElsewhere = new ArrayList<>();
    for (JsonElement e : checks) {
      JsonObject c = e.getAsJsonObject();
      if (c.get("ok").getAsBoolean()) {
        continue;
      }
      boolean mine = c.get("check").getAsString().equals(row.check()) && c.get("target").getAsString().contains(row.target());
      if (mine && found == null) {
        found = c;
      } else if (!mine && found == null && !c.get("advice").getAsString().startsWith(row.cause())) {
        failedElsewhere.add(c.get("check").getAsString() + " " + c.get("target").getAsString() + ": "
            + c.get("advice").getAsString());
      }
    }
    assertThat(found).as(row.name() + ": no failed " + row.check() + " check on " + row.target() + " in " + report)
        .isNotNull();
    assertThat(failedElsewhere).as(row.name() + ": checks that failed before the row's own").isEmpty();
    return found;
  }

  record Answer(long millis, String text) { }

  private Map<String, Answer> ask(Map<String, String> env, List<String> targets, String... ways) throws Exception {
    return receive(send(env, targets, ways), ways.length);
  }

  private Map<String, String> send(Map<String, String> env, List<String> targets, String... ways) throws Exception {
    StringBuilder envText = new StringBuilder();
    env.forEach((k, v) -> envText.append(k).append('=').append(v).append('\n'));
    Map<String, String> ids = new HashMap<>();
    for (String way : ways) {
      String id = Integer.toString(++nextId);
      ids.put(id, way);
      String line = id + " " + b64(way) + " " + b64(envText.toString()) + " " + b64(String.join(" ", targets)) + "\n";
      agentIn.write(line.getBytes(StandardCharsets.UTF_8));
    }
    agentIn.flush();
    return ids;
  }

  private Map<String, Answer> receive(Map<String, String> ids, int count) {
    Map<String, Answer> out = new HashMap<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    while (out.size() < count) { // answers of an earlier, timed-out row are skipped
      long left = deadline - System.nanoTime();
      String line;
      try {
        line = CompletableFuture.supplyAsync(this::readLine).get(Math.max(1, left), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        throw new AssertionError("no answer from the agent within 40 s for " + out.keySet().size() + "/"
            + count + " ways; agent log:\n" + lab.output(agent), e);
      } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
        throw new AssertionError(e);
      }
      assertThat(line).as("agent answer (agent log: " + lab.output(agent) + ")").isNotNull();
      String[] f = line.split(" ");
      if (ids.containsKey(f[0])) {
        out.put(ids.get(f[0]), new Answer(Long.parseLong(f[1]),
            new String(Base64.getDecoder().decode(f[2]), StandardCharsets.UTF_8)));
      }
    }
    return out;
  }

  private String readLine() {
    try {
      return agentOut.readLine();
    } catch (java.io.IOException e) {
      return null;
    }
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
