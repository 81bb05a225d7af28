package dev.privateegress.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.privateegress.testing.NetworkLab.Egress;
import dev.privateegress.testing.NetworkLab.Namespace;
import dev.privateegress.testing.NetworkLab.Nat;
import dev.privateegress.testing.NetworkLab.Scope;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The lab's topologies as seen from inside the instance: which address the VPC and the internet see in each
 * egress mode and scope, and that nothing is left behind.
 */
class NetworkLabTest {
  private static NetworkLab lab;

  @BeforeAll
  static void build() {
    NetworkLab.unavailableReason().ifPresent(r -> System.out.println("NetworkLabTest skipped: " + r));
    assumeTrue(NetworkLab.unavailableReason().isEmpty());
    lab = NetworkLab.start().privateRecord("my.api.private", NetworkLab.ILB_IP).internalLoadBalancer(null);
  }

  @AfterAll
  static void tearDown() {
    if (lab != null) {
      String prefix = lab.namespace(Namespace.INSTANCE);
      lab.close();
      String left = run("ip", "netns", "list");
      assertThat(left).doesNotContain(prefix.substring(0, prefix.length() - "-inst".length()));
    }
  }

  private static String fetch(String... urls) {
    NetworkLab.Result r = lab.runJava(Namespace.INSTANCE, Map.of(), Duration.ofSeconds(30), LabFetch.class.getName(),
        urls);
    return r.output();
  }

  @Test
  void eachTopologyShowsItsAddresses() {
    String ilb = "http://my.api.private/";
    String echo = "http://echo.example.net/";
    String allow = "http://allowlisted.example.net/";

    lab.egress(Egress.NONE, Scope.PRIVATE_RANGES_ONLY).cloudNat(Nat.STATIC);
    String none = fetch(ilb, "http://" + NetworkLab.ILB_IP + "/", echo, allow);
    assertThat(none).contains(ilb + " -> UnknownHostException")
        .contains(NetworkLab.ILB_IP + "/ -> SocketTimeoutException")
        .contains(echo + " -> 200 " + NetworkLab.OWN_PUBLIC_IP)
        .contains(allow + " -> 403 denied " + NetworkLab.OWN_PUBLIC_IP);

    lab.egress(Egress.CONNECTOR, Scope.PRIVATE_RANGES_ONLY);
    String connector = fetch(ilb, echo, allow);
    assertThat(connector).contains(ilb + " -> 200 internal api from " + NetworkLab.CONNECTOR_IP)
        .contains(echo + " -> 200 " + NetworkLab.OWN_PUBLIC_IP).contains(allow + " -> 403 denied " + NetworkLab.OWN_PUBLIC_IP);

    lab.egress(Egress.DIRECT_VPC, Scope.ALL_TRAFFIC);
    String direct = fetch(ilb, echo, allow);
    assertThat(direct).contains(ilb + " -> 200 internal api from " + NetworkLab.DIRECT_VPC_IP)
        .contains(echo + " -> 200 " + NetworkLab.NAT_STATIC_IP)
        .contains(allow + " -> 200 accepted from " + NetworkLab.NAT_STATIC_IP);

    lab.egress(Egress.CONNECTOR, Scope.ALL_TRAFFIC).cloudNat(Nat.OFF);
    String noNat = fetch(echo);
    assertThat(noNat).contains(echo + " -> SocketTimeoutException");

    lab.cloudNat(Nat.EPHEMERAL);
    assertThat(fetch(echo, allow)).contains(echo + " -> 200 " + NetworkLab.NAT_EPHEMERAL_IP)
        .contains(allow + " -> 403 denied " + NetworkLab.NAT_EPHEMERAL_IP);
  }

  @Test
  void zoneDetachedIsNxdomain() {
    lab.egress(Egress.DIRECT_VPC, Scope.PRIVATE_RANGES_ONLY).privateZone(false);
    try {
      assertThat(fetch("http://my.api.private/")).contains("UnknownHostException");
    } finally {
      lab.privateZone(true);
    }
  }

  @Test
  void aLabWhoseOwnerWasKilledIsSweptWithItsProcesses() throws Exception {
    Process owner = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), LabOwner.class.getName()).redirectErrorStream(true).start();
    java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(owner.getInputStream()));
    String ns = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        for (String line; (line = out.readLine()) != null; ) {
          if (line.startsWith("pelab-")) {
            return line.trim();
          }
        }
        return null;
      } catch (java.io.IOException e) {
        return null;
      }
    }).get(60, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(ns).isNotNull();
    List<Long> pids = java.util.Arrays.stream(run("ip", "netns", "pids", ns).trim().split("\\s+"))
        .filter(p -> p.matches("\\d+")).map(Long::parseLong).toList();
    assertThat(pids).isNotEmpty(); // the resolver and the metadata server
    owner.destroyForcibly(); // kill -9: no shutdown hook runs
    owner.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(run("ip", "netns", "list")).contains(ns);

    NetworkLab.sweep();

    String prefix = ns.substring(0, ns.length() - "-inst".length());
    assertThat(run("ip", "netns", "list")).doesNotContain(prefix);
    for (long pid : pids) {
      ProcessHandle.of(pid).ifPresent(h -> {
        try {
          h.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
          throw new AssertionError("process " + pid + " of the dead lab still runs", e);
        }
      });
    }
    assertThat(Path.of("/etc/netns", ns)).doesNotExist();
  }

  private static String run(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor();
      return out;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
