package dev.privateegress.samples.internalapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.privateegress.testing.NetworkLab;
import dev.privateegress.testing.NetworkLab.Egress;
import dev.privateegress.testing.NetworkLab.Namespace;
import dev.privateegress.testing.NetworkLab.Scope;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The App Engine to internal load balancer field report on a real network: the sample runs inside the network
 * lab's instance with what App Engine standard sets (GAE_SERVICE, GAE_ENV, GAE_VERSION, GAE_INSTANCE,
 * GOOGLE_CLOUD_PROJECT, PORT) and its audience map, behind a Serverless VPC Access connector; {@code
 * http://my.api.private} resolves through the private zone at 169.254.169.254, the ID token comes from the
 * metadata server there, and the load balancer (nginx) admits only a token for its audience.
 */
class InternalApiLabTest {
  static NetworkLab lab;

  @BeforeAll
  static void build() {
    NetworkLab.unavailableReason().ifPresent(r -> System.out.println("InternalApiLabTest skipped: " + r));
    assumeTrue(NetworkLab.unavailableReason().isEmpty());
    lab = NetworkLab.start().privateRecord("my.api.private", NetworkLab.ILB_IP)
        .internalLoadBalancer("http://my.api.private").egress(Egress.CONNECTOR, Scope.PRIVATE_RANGES_ONLY);
  }

  @AfterAll
  static void tearDown() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  void theCallerReachesThePrivateNameWithAnIdToken() throws Exception {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("GAE_SERVICE", "default");
    env.put("GAE_ENV", "standard");
    env.put("GAE_VERSION", "20261207t010000");
    env.put("GAE_INSTANCE", "00c61b117c");
    env.put("GOOGLE_CLOUD_PROJECT", "lab-project");
    env.put("PORT", "8080");
    env.put("PRIVATE_EGRESS_AUDIENCES", "my.api.private=http://my.api.private");
    Process app = lab.startJava(Namespace.INSTANCE, env, InternalApiApplication.class.getName());
    try {
      lab.awaitListening(Namespace.INSTANCE, 8080, app, Duration.ofSeconds(90));
      // nginx answers 200 only to a bearer JWT whose aud is http://my.api.private, and names the connector's address
      assertThat(lab.httpGet(Namespace.INSTANCE, "http://127.0.0.1:8080/")).as(lab.output(app))
          .isEqualTo("200 internal api from " + NetworkLab.CONNECTOR_IP);
    } finally {
      app.destroy();
      app.waitFor(15, TimeUnit.SECONDS);
    }
  }
}
