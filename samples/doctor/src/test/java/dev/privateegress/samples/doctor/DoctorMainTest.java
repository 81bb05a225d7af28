package dev.privateegress.samples.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CLI run in-process with an injected environment and captured stdout/stderr. */
class DoctorMainTest {
  final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
  final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

  int run(Map<String, String> env, String... args) {
    try (PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8)) {
      return DoctorMain.run(args, env, out, err);
    }
  }

  String out() {
    return outBytes.toString(StandardCharsets.UTF_8);
  }

  String err() {
    return errBytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void jsonForAClosedPortIsOneObjectWithAFailedTcpCheckAndExitsOne() {
    int status = run(Map.of(), "--json", "tcp://127.0.0.1:1");
    assertThat(status).isEqualTo(1);
    JsonElement parsed = JsonParser.parseString(out()); // the whole of stdout: one JSON document
    assertThat(parsed.isJsonObject()).isTrue();
    JsonObject json = parsed.getAsJsonObject();
    assertThat(json.get("platform").getAsString()).isEqualTo("local");
    assertThat(json.getAsJsonObject("egress").get("mode").getAsString()).isEqualTo("none");
    JsonArray checks = json.getAsJsonArray("checks");
    JsonObject tcp = checks.asList().stream().map(JsonElement::getAsJsonObject)
        .filter(c -> c.get("check").getAsString().equals("tcp")).findFirst().orElseThrow();
    assertThat(tcp.get("ok").getAsBoolean()).isFalse();
    assertThat(tcp.get("target").getAsString()).isEqualTo("tcp://127.0.0.1:1");
    assertThat(tcp.get("advice").getAsString()).isNotBlank().contains("127.0.0.1:1");
    assertThat(out().strip().lines().count()).isEqualTo(1);
    assertThat(err()).isEmpty();
  }

  @Test
  void aListeningPortPassesAndExitsZero() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
      int status = run(Map.of(), "tcp://127.0.0.1:" + s.getLocalPort());
      assertThat(status).as(out()).isEqualTo(0);
      assertThat(out()).contains("platform     local").contains("all 2 checks passed");
    }
  }

  @Test
  void aBadTargetExitsTwoNamingIt() {
    int status = run(Map.of(), "--json", "ftp://files.internal");
    assertThat(status).isEqualTo(2);
    assertThat(err()).contains("target=ftp://files.internal").contains("unsupported scheme");
    assertThat(out()).isEmpty();
  }

  @Test
  void aBadVariableExitsTwoNamingIt() {
    int status = run(Map.of("PRIVATE_EGRESS_MODE", "direct"), "--json", "tcp://127.0.0.1:1");
    assertThat(status).isEqualTo(2);
    assertThat(err()).contains("PRIVATE_EGRESS_MODE=direct").contains("direct-vpc");
    assertThat(out()).isEmpty();
  }

  @Test
  void anUnknownOptionExitsTwoWithUsage() {
    assertThat(run(Map.of(), "--jsn")).isEqualTo(2);
    assertThat(err()).contains("unknown option --jsn").contains("usage:");
  }

  @Test
  void helpExitsZero() {
    assertThat(run(Map.of(), "--help")).isEqualTo(0);
    assertThat(out()).startsWith("usage: java -jar doctor.jar").contains("Exit status");
  }

  @Test
  void withoutTargetsTheConfiguredRedisIsCheckedWithoutShowingItsPassword() {
    try (RedisNode redis = RedisLauncher.builder().requirePass("s3cr3t-auth").start()) {
      int status = run(Map.of("REDIS_URL", "redis://:s3cr3t-auth@127.0.0.1:" + redis.port()), "--json");
      assertThat(status).as(out() + err()).isEqualTo(0);
      JsonObject json = JsonParser.parseString(out()).getAsJsonObject();
      List<String> kinds = new ArrayList<>();
      json.getAsJsonArray("checks").forEach(c -> kinds.add(c.getAsJsonObject().get("check").getAsString()));
      assertThat(kinds).containsExactly("dns", "tcp", "redis");
      assertThat(json.getAsJsonArray("checks").get(0).getAsJsonObject().get("target").getAsString())
          .isEqualTo("redis://127.0.0.1:" + redis.port());
      assertThat(out() + err()).doesNotContain("s3cr3t");
    }
  }

  @Test
  void aWrongRedisPasswordFailsTheRedisCheckWithAdviceAndExitsOne() {
    try (RedisNode redis = RedisLauncher.builder().requirePass("right-one").start()) {
      int status = run(Map.of("REDIS_URL", "redis://:wrong-one@127.0.0.1:" + redis.port()), "--json");
      assertThat(status).isEqualTo(1);
      JsonObject last = JsonParser.parseString(out()).getAsJsonObject().getAsJsonArray("checks").asList()
          .stream().map(e -> e.getAsJsonObject()).reduce((a, b) -> b).orElseThrow();
      assertThat(last.get("check").getAsString()).isEqualTo("redis");
      assertThat(last.get("ok").getAsBoolean()).isFalse();
      assertThat(last.get("advice").getAsString()).contains("REDIS_AUTH");
      assertThat(out() + err()).doesNotContain("wrong-one").doesNotContain("right-one");
    }
  }


  @Test
  void aDashDashEndsOptions() {
    assertThat(run(Map.of(), "--", "--json")).isEqualTo(2);
    assertThat(err()).contains("target=--json");
  }
}
