package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code fromEnvironment()} plus {@code platform()} off Google Cloud must not touch the network. Proven in
 * a child JVM whose environment has no platform or metadata variables and where opening any socket throws.
 */
class OffGoogleCloudStartupTest {

  @Test
  void fromEnvironmentAndPlatform_makeNoNetworkCall() throws IOException, InterruptedException {
    Path dmi = Path.of("/sys/class/dmi/id/product_name");
    Assumptions.assumeFalse(Files.isReadable(dmi) && Files.readString(dmi).startsWith("Google"),
        "this machine is a Google Cloud VM: off-Google-Cloud start-up cannot be observed here");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        NoNetworkProbe.class.getName());
    Map<String, String> env = pb.environment();
    env.clear();
    env.put("PATH", "/usr/bin:/bin");
    env.put("HOME", System.getProperty("java.io.tmpdir"));
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("platform=local", "project=-", "region=-", "mode=none", "sockets=0");
    // The start-up cost is reported in BENCHMARKS.md, not asserted here.
    System.out.println("off-GCP start-up probe: " + out);
  }
}
