package dev.privateegress.samples.counter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.privateegress.testing.NetworkLab;
import dev.privateegress.testing.NetworkLab.Egress;
import dev.privateegress.testing.NetworkLab.Namespace;
import dev.privateegress.testing.NetworkLab.Scope;
import dev.privateegress.testing.TlsMaterial;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Direct VPC field report on a real network: the counter runs inside the network lab's Cloud Run instance
 * with only what the platform sets (K_SERVICE, K_REVISION, K_CONFIGURATION, PORT) and the Memorystore
 * variables (REDISHOST, REDISPORT=6378, REDIS_AUTH, REDIS_TLS_CA), through a connector and through Direct VPC
 * egress; Memorystore sees the connector's /28 address or the instance's subnet address.
 */
class CounterLabTest {
  static final String AUTH = "counter-lab-auth-9876";
  static NetworkLab lab;
  static TlsMaterial tls;

  @BeforeAll
  static void build() {
    NetworkLab.unavailableReason().ifPresent(r -> System.out.println("CounterLabTest skipped: " + r));
    assumeTrue(NetworkLab.unavailableReason().isEmpty());
    assumeTrue(TlsMaterial.opensslAvailable(), "openssl needed for Memorystore's TLS port");
    tls = TlsMaterial.generate(NetworkLab.REDIS_IP);
    lab = NetworkLab.start().memorystore(AUTH, tls);
  }

  @AfterAll
  static void tearDown() {
    if (lab != null) {
      lab.close();
      tls.close();
    }
  }

  private String clientAddresses() {
    return lab.exec(Namespace.VPC, Duration.ofSeconds(10), "redis-cli", "-h", NetworkLab.REDIS_IP, "-p", "6379",
        "--no-auth-warning", "-a", AUTH, "CLIENT", "LIST").output();
  }

  private String countThrough(Egress mode) throws InterruptedException {
    lab.egress(mode, Scope.PRIVATE_RANGES_ONLY);
    Map<String, String> env = new LinkedHashMap<>();
    env.put("K_SERVICE", "redis-counter");
    env.put("K_REVISION", "redis-counter-00001-xyz");
    env.put("K_CONFIGURATION", "redis-counter");
    env.put("PORT", "8080");
    env.put("REDISHOST", NetworkLab.REDIS_IP);
    env.put("REDISPORT", "6378");
    env.put("REDIS_AUTH", AUTH);
    env.put("REDIS_TLS_CA", tls.caCertificate().toString());
    Process app = lab.startJava(Namespace.INSTANCE, env, RedisCounterApplication.class.getName());
    try {
      lab.awaitListening(Namespace.INSTANCE, 8080, app, Duration.ofSeconds(90));
      assertThat(lab.httpGet(Namespace.INSTANCE, "http://127.0.0.1:8080/")).isEqualTo("200 {\"Hello\":\"World\"}");
      String visit = lab.httpGet(Namespace.INSTANCE, "http://127.0.0.1:8080/redis");
      assertThat(visit).as(lab.output(app)).startsWith("200 Visitor number: ");
      assertThat(clientAddresses()).contains(mode == Egress.CONNECTOR ? "addr=" + NetworkLab.CONNECTOR_IP + ":"
          : "addr=" + NetworkLab.DIRECT_VPC_IP + ":");
      return visit;
    } finally {
      app.destroy();
      app.waitFor(15, java.util.concurrent.TimeUnit.SECONDS); // the next start needs port 8080
    }
  }

  @Test
  void theCounterCountsThroughAConnectorAndThroughDirectVpc() throws Exception {
    String first = countThrough(Egress.CONNECTOR);
    String second = countThrough(Egress.DIRECT_VPC);
    int a = Integer.parseInt(first.substring(first.lastIndexOf(' ') + 1));
    int b = Integer.parseInt(second.substring(second.lastIndexOf(' ') + 1));
    assertThat(b).isEqualTo(a + 1); // the same Memorystore, reached both ways
  }
}
