package dev.privateegress.samples.testing;

import com.sun.net.httpserver.HttpServer;
import dev.privateegress.testing.FakeMetadataServer;
import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One sample's main path with every dependency on loopback, for training runs and cold-start measurements:
 * a throwaway redis-server, a stand-in for {@code my.api.private}, the SDK's fake metadata server (ID tokens,
 * project, region) and, for the relay, push tokens signed by a key whose JWKS is served here. The sample runs
 * as on Cloud Run ({@code K_SERVICE}, {@code K_REVISION}) with the admin-API lookup off, so nothing leaves
 * 127.0.0.1.
 */
public final class Scenario implements AutoCloseable {
  /** The samples that have a scenario, in the order the benchmark reports them. */
  public static final List<String> SAMPLES = List.of("redis-counter", "internal-api", "pubsub-relay", "function-caller");

  private static final String AUDIENCE = "https://pubsub-relay-aot.a.run.app/";
  private static final String PUSH_ACCOUNT = "push@training.iam.gserviceaccount.com";

  private final String sample;
  private final List<AutoCloseable> parts = new ArrayList<>();
  private final Map<String, String> env = new LinkedHashMap<>();
  private final AtomicInteger requests = new AtomicInteger();
  private KeyPair pushKey;

  private Scenario(String sample) {
    this.sample = sample;
  }

  /**
   * Starts the loopback dependencies of {@code sample}.
   *
   * @throws IllegalArgumentException for a sample without a scenario
   */
  public static Scenario start(String sample) {
    if (!SAMPLES.contains(sample)) {
      throw new IllegalArgumentException("no training scenario for sample '" + sample + "'; known: " + SAMPLES);
    }
    Scenario s = new Scenario(sample);
    try {
      s.startParts();
    } catch (RuntimeException | IOException | GeneralSecurityException e) {
      s.close();
      throw new IllegalStateException("cannot start the loopback stand-ins of " + sample + ": " + e, e);
    }
    return s;
  }

  private void startParts() throws IOException, GeneralSecurityException {
    FakeMetadataServer metadata = FakeMetadataServer.start();
    parts.add(metadata);
    env.put("GCE_METADATA_HOST", metadata.hostPort());
    env.put("K_SERVICE", sample);
    env.put("K_CONFIGURATION", sample);
    env.put("K_REVISION", sample + "-00001-aot");
    env.put("PRIVATE_EGRESS_LOOKUP", "off"); // the admin API is a remote service
    switch (sample) {
      case "redis-counter" -> {
        RedisNode redis = RedisLauncher.startPlain();
        parts.add(redis);
        env.put("REDISHOST", redis.host());
        env.put("REDISPORT", Integer.toString(redis.port()));
      }
      case "internal-api", "function-caller" -> {
        int port = standIn("/", null);
        env.put("INTERNAL_API_URL", "http://my.api.private:" + port + "/");
        env.put("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1");
        env.put("PRIVATE_EGRESS_AUDIENCES", "my.api.private=https://my.api.private");
      }
      case "pubsub-relay" -> {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        pushKey = gen.generateKeyPair();
        RSAPublicKey pub = (RSAPublicKey) pushKey.getPublic();
        String jwks = "{\"keys\":[{\"kid\":\"aot\",\"kty\":\"RSA\",\"alg\":\"RS256\",\"use\":\"sig\",\"n\":\""
            + b64(unsigned(pub.getModulus())) + "\",\"e\":\"" + b64(unsigned(pub.getPublicExponent())) + "\"}]}";
        int port = standIn("/events", jwks);
        env.put("RELAY_TARGET_URL", "http://my.api.private:" + port + "/events");
        env.put("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1");
        env.put("RELAY_PUSH_AUDIENCE", AUDIENCE);
        env.put("RELAY_PUSH_SERVICE_ACCOUNT", PUSH_ACCOUNT);
        env.put("RELAY_PUSH_CERTS_URL", "http://127.0.0.1:" + port + "/certs");
      }
      default -> throw new AssertionError(sample);
    }
  }

  /** The sample's variables: where its dependencies listen, and a Cloud Run identity. */
  public Map<String, String> environment() {
    return Map.copyOf(env);
  }

  /** Whether the sample is a Spring Boot application (it then has a readiness endpoint). */
  public boolean springBoot() {
    return !sample.equals("function-caller");
  }

  /**
   * The next request of the main path (each push carries a new message id), against the sample on
   * {@code port}: {@code GET /redis}, {@code GET /} or a signed Pub/Sub push to {@code POST /}.
   */
  public HttpRequest mainPath(int port) {
    int n = requests.incrementAndGet();
    String base = "http://127.0.0.1:" + port;
    HttpRequest.Builder b = HttpRequest.newBuilder().timeout(Duration.ofSeconds(60));
    switch (sample) {
      case "redis-counter" -> b.uri(URI.create(base + "/redis")).GET();
      case "pubsub-relay" -> {
        String push = "{\"message\":{\"attributes\":{\"k\":\"v\"},\"data\":\"SGVsbG8=\",\"messageId\":\"aot-" + n
            + "\",\"publishTime\":\"2026-11-26T12:00:00Z\"},\"subscription\":\"projects/p/subscriptions/s\"}";
        b.uri(URI.create(base + "/")).header("Content-Type", "application/json")
            .header("Authorization", "Bearer " + pushToken()).POST(HttpRequest.BodyPublishers.ofString(push));
      }
      default -> b.uri(URI.create(base + "/")).GET();
    }
    return b.build();
  }

  /** A stand-in answering 200 on {@code path}, and with {@code jwks} the relay's signing keys on /certs. */
  private int standIn(String path, String jwks) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.createContext(path, exchange -> {
      exchange.getRequestBody().readAllBytes();
      byte[] body = "{\"from\":\"stand-in\"}\n".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    if (jwks != null) {
      byte[] keys = jwks.getBytes(StandardCharsets.UTF_8);
      server.createContext("/certs", exchange -> {
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, keys.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(keys);
        }
      });
    }
    server.start();
    parts.add(() -> server.stop(0));
    return server.getAddress().getPort();
  }

  /** An RS256 push token as Pub/Sub sends it, valid for an hour. */
  private String pushToken() {
    long now = System.currentTimeMillis() / 1000;
    String header = "{\"alg\":\"RS256\",\"kid\":\"aot\",\"typ\":\"JWT\"}";
    String claims = "{\"aud\":\"" + AUDIENCE + "\",\"azp\":\"1\",\"email\":\"" + PUSH_ACCOUNT
        + "\",\"email_verified\":true,\"exp\":" + (now + 3600) + ",\"iat\":" + now
        + ",\"iss\":\"https://accounts.google.com\",\"sub\":\"1\"}";
    String input = b64(header.getBytes(StandardCharsets.UTF_8)) + "." + b64(claims.getBytes(StandardCharsets.UTF_8));
    try {
      Signature rsa = Signature.getInstance("SHA256withRSA");
      rsa.initSign(pushKey.getPrivate());
      rsa.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + b64(rsa.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign the training push token", e);
    }
  }

  private static byte[] unsigned(BigInteger n) {
    byte[] b = n.toByteArray();
    return b[0] == 0 ? java.util.Arrays.copyOfRange(b, 1, b.length) : b;
  }

  private static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  @Override
  public void close() {
    for (int i = parts.size() - 1; i >= 0; i--) {
      try {
        parts.get(i).close();
      } catch (Exception e) {
        System.err.println("aot: could not stop a stand-in: " + e);
      }
    }
    parts.clear();
  }
}
