package dev.privateegress.samples.relay;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Signs Google-style OIDC tokens (RS256) with keys made here and serves their JWKS on loopback, the way
 * {@code https://www.googleapis.com/oauth2/v3/certs} serves Google's.
 */
final class TestTokens implements AutoCloseable {
  static final String KID = "test-key-1";
  static final String PUSH_ACCOUNT = "push-invoker@test-project.iam.gserviceaccount.com";

  private final KeyPair keys;
  private final KeyPair stranger; // signs with the right kid but the wrong key
  private final HttpServer server;
  final AtomicInteger certFetches = new AtomicInteger();

  TestTokens() throws IOException, GeneralSecurityException {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    this.keys = gen.generateKeyPair();
    this.stranger = gen.generateKeyPair();
    RSAPublicKey pub = (RSAPublicKey) keys.getPublic();
    String jwks = "{\"keys\":[{\"kid\":\"" + KID + "\",\"kty\":\"RSA\",\"alg\":\"RS256\",\"use\":\"sig\",\"n\":\""
        + b64(unsigned(pub.getModulus())) + "\",\"e\":\"" + b64(unsigned(pub.getPublicExponent())) + "\"}]}";
    byte[] body = jwks.getBytes(StandardCharsets.UTF_8);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.createContext("/certs", ex -> {
      certFetches.incrementAndGet();
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
  }

  String certsUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/certs";
  }

  /** Claims of a push token as Pub/Sub sends it, valid for an hour. */
  static Map<String, Object> pushClaims(String audience) {
    long now = Instant.now().getEpochSecond();
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("aud", audience);
    c.put("azp", "113774264463038321964");
    c.put("email", PUSH_ACCOUNT);
    c.put("email_verified", true);
    c.put("exp", now + 3600);
    c.put("iat", now);
    c.put("iss", "https://accounts.google.com");
    c.put("sub", "113774264463038321964");
    return c;
  }

  String sign(Map<String, Object> claims) throws GeneralSecurityException {
    return sign(claims, keys.getPrivate());
  }

  String signWithWrongKey(Map<String, Object> claims) throws GeneralSecurityException {
    return sign(claims, stranger.getPrivate());
  }

  private static String sign(Map<String, Object> claims, PrivateKey key) throws GeneralSecurityException {
    String header = "{\"alg\":\"RS256\",\"kid\":\"" + KID + "\",\"typ\":\"JWT\"}";
    String signingInput = b64(header.getBytes(StandardCharsets.UTF_8)) + "." + b64(json(claims).getBytes(StandardCharsets.UTF_8));
    Signature s = Signature.getInstance("SHA256withRSA");
    s.initSign(key);
    s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + b64(s.sign());
  }

  private static String json(Map<String, Object> claims) {
    StringBuilder sb = new StringBuilder("{");
    claims.forEach((k, v) -> {
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append('"').append(k).append("\":");
      sb.append(v instanceof String ? "\"" + v + "\"" : String.valueOf(v));
    });
    return sb.append('}').toString();
  }

  private static byte[] unsigned(BigInteger i) {
    byte[] b = i.toByteArray();
    return b[0] == 0 ? java.util.Arrays.copyOfRange(b, 1, b.length) : b;
  }

  private static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
