package dev.privateegress.samples.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs the packaged {@code doctor.jar} as a user would, in a separate JVM with an almost empty
 * environment: proves the shaded jar starts, finds its checkers and logging, and keeps its exit-code
 * contract. Runs in {@code integration-test}, after {@code package} built the jar.
 */
class DoctorJarIT {

  @Test
  void jsonForAClosedLocalPortIsValidWithAFailedTcpCheckAndExitsOne() throws Exception {
    Path jar = Path.of(System.getProperty("doctor.jar", "target/doctor.jar"));
    assertThat(jar).as("the shaded jar built by package").isRegularFile();
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb = new ProcessBuilder(List.of(java.toString(), "-jar", jar.toString(), "--json",
        "tcp://127.0.0.1:1"));
    Map<String, String> env = pb.environment();
    String path = env.get("PATH");
    String home = env.get("HOME");
    env.clear();
    if (path != null) {
      env.put("PATH", path);
    }
    if (home != null) {
      env.put("HOME", home);
    }
    // Keeps a build machine that happens to be a GCE VM from asking its real metadata server.
    env.put("NO_GCE_CHECK", "true");
    File stderr = Files.createTempFile("doctor-it", ".err").toFile();
    pb.redirectError(stderr);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    boolean exited = p.waitFor(60, TimeUnit.SECONDS);
    if (!exited) {
      p.destroyForcibly();
    }
    String err = Files.readString(stderr.toPath(), StandardCharsets.UTF_8);
    Files.deleteIfExists(stderr.toPath());
    assertThat(exited).as("doctor exits; stderr: %s", err).isTrue();
    assertThat(p.exitValue()).as("exit status; stdout: %s stderr: %s", out, err).isEqualTo(1);

    JsonElement parsed = JsonParser.parseString(out); // all of stdout is one JSON document
    assertThat(parsed.isJsonObject()).isTrue();
    JsonObject json = parsed.getAsJsonObject();
    assertThat(json.get("platform").getAsString()).isEqualTo("local");
    JsonObject tcp = json.getAsJsonArray("checks").asList().stream().map(JsonElement::getAsJsonObject)
        .filter(c -> c.get("check").getAsString().equals("tcp")).findFirst().orElseThrow();
    assertThat(tcp.get("ok").getAsBoolean()).isFalse();
    assertThat(tcp.get("target").getAsString()).isEqualTo("tcp://127.0.0.1:1");
    assertThat(tcp.get("advice").getAsString()).contains("nothing listens on 127.0.0.1:1");
  }
}
