package dev.privateegress.samples.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.privateegress.testing.NetworkLab;
import dev.privateegress.testing.NetworkLab.Egress;
import dev.privateegress.testing.NetworkLab.Namespace;
import dev.privateegress.testing.NetworkLab.Nat;
import dev.privateegress.testing.NetworkLab.Scope;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Pub/Sub to GKE field reports on a real network: the relay runs in the network lab's Cloud Run instance
 * behind a connector and forwards a push into the private cluster (the internal load balancer by its private
 * name); forwarding to the endpoint that allows only Cloud NAT's static address fails under
 * private-ranges-only (the push is answered 503, so Pub/Sub redelivers) and succeeds under all-traffic.
 */
class RelayLabTest {
  static final String PUSH = "{\"message\":{\"data\":\"aGVsbG8=\",\"messageId\":\"m-1\"},"
      + "\"subscription\":\"projects/lab-project/subscriptions/relay-push\"}";
  static NetworkLab lab;

  @BeforeAll
  static void build() {
    NetworkLab.unavailableReason().ifPresent(r -> System.out.println("RelayLabTest skipped: " + r));
    assumeTrue(NetworkLab.unavailableReason().isEmpty());
    lab = NetworkLab.start().privateRecord("my.api.private", NetworkLab.ILB_IP).internalLoadBalancer(null)
        .cloudNat(Nat.STATIC);
  }

  @AfterAll
  static void tearDown() {
    if (lab != null) {
      lab.close();
    }
  }

  private Process relay(String target) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("K_SERVICE", "pubsub-relay");
    env.put("K_REVISION", "pubsub-relay-00001-abc");
    env.put("K_CONFIGURATION", "pubsub-relay");
    env.put("PORT", "8080");
    env.put("RELAY_TARGET_URL", target);
    env.put("RELAY_PUSH_VERIFY", "off"); // no Google-signed push token in the lab
    Process app = lab.startJava(Namespace.INSTANCE, env, PubSubRelayApplication.class.getName());
    lab.awaitListening(Namespace.INSTANCE, 8080, app, Duration.ofSeconds(90));
    return app;
  }

  private static void stop(Process app) throws InterruptedException {
    app.destroy();
    app.waitFor(15, TimeUnit.SECONDS);
  }

  @Test
  void aPushReachesThePrivateClusterThroughTheConnector() throws Exception {
    lab.egress(Egress.CONNECTOR, Scope.PRIVATE_RANGES_ONLY);
    Process app = relay("http://my.api.private/events");
    try {
      assertThat(lab.httpPost(Namespace.INSTANCE, "http://127.0.0.1:8080/", PUSH)).as(lab.output(app))
          .isEqualTo("204");
    } finally {
      stop(app);
    }
  }

  @Test
  void theAllowListedEndpointAcceptsThePushOnlyUnderAllTraffic() throws Exception {
    lab.egress(Egress.CONNECTOR, Scope.PRIVATE_RANGES_ONLY);
    Process app = relay("http://allowlisted.example.net/events");
    try {
      assertThat(lab.httpPost(Namespace.INSTANCE, "http://127.0.0.1:8080/", PUSH)).as(lab.output(app))
          .startsWith("503 not delivered: the target answered 403");
      lab.egress(Egress.CONNECTOR, Scope.ALL_TRAFFIC);
      assertThat(lab.httpPost(Namespace.INSTANCE, "http://127.0.0.1:8080/", PUSH)).as(lab.output(app))
          .isEqualTo("204");
    } finally {
      stop(app);
    }
  }
}
