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
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Signs Google-style OIDC tokens (RS256 and ES256) with keys made here and serves their JWKS on loopback, the
 * way {@code https://www.googleapis.com/oauth2/v3/certs} serves Google's; and writes the malformed and forged
 * tokens an outside caller would send.
 */
final class TestTokens implements AutoCloseable {
  static final String KID = "test-key-1";
  static final String EC_KID = "test-ec-key-1";
  static final String PUSH_ACCOUNT = "push-invoker@test-project.iam.gserviceaccount.com";

  private final KeyPair keys;
  private final KeyPair ec;
  private final KeyPair stranger; // signs with the right kid but the wrong key
  private final HttpServer server;
  final AtomicInteger certFetches = new AtomicInteger();

  TestTokens() throws IOException, GeneralSecurityException {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    this.keys = gen.generateKeyPair();
    this.stranger = gen.generateKeyPair();
    KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
    ecGen.initialize(new ECGenParameterSpec("secp256r1"));
    this.ec = ecGen.generateKeyPair();
    RSAPublicKey pub = (RSAPublicKey) keys.getPublic();
    ECPublicKey ecPub = (ECPublicKey) ec.getPublic();
    String jwks = "{\"keys\":[{\"kid\":\"" + KID + "\",\"kty\":\"RSA\",\"alg\":\"RS256\",\"use\":\"sig\",\"n\":\""
        + b64(unsigned(pub.getModulus())) + "\",\"e\":\"" + b64(unsigned(pub.getPublicExponent())) + "\"},"
        + "{\"kid\":\"" + EC_KID + "\",\"kty\":\"EC\",\"alg\":\"ES256\",\"use\":\"sig\",\"crv\":\"P-256\",\"x\":\""
        + b64(fixed(ecPub.getW().getAffineX(), 32)) + "\",\"y\":\"" + b64(fixed(ecPub.getW().getAffineY(), 32)) + "\"}]}";
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
    return signRs256(header("RS256", KID), json(claims), keys.getPrivate());
  }

  String signWithWrongKey(Map<String, Object> claims) throws GeneralSecurityException {
    return signRs256(header("RS256", KID), json(claims), stranger.getPrivate());
  }

  /** ES256 as JWS wants it: the 64-byte r||s signature. */
  String signEs256(Map<String, Object> claims) throws GeneralSecurityException {
    String input = b64(header("ES256", EC_KID)) + "." + b64(json(claims));
    Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
    s.initSign(ec.getPrivate());
    s.update(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + b64(s.sign());
  }

  /** A token with this header and payload, RS256-signed with the served key whatever the header says. */
  String signRaw(String headerJson, String payloadJson) throws GeneralSecurityException {
    return signRs256(headerJson.getBytes(StandardCharsets.UTF_8), payloadJson.getBytes(StandardCharsets.UTF_8),
        keys.getPrivate());
  }

  /** header.payload.signature from raw parts, nothing signed. */
  static String unsigned(String headerJson, String payloadJson, String signature) {
    return b64(headerJson.getBytes(StandardCharsets.UTF_8)) + "." + b64(payloadJson.getBytes(StandardCharsets.UTF_8))
        + "." + signature;
  }

  private static byte[] header(String alg, String kid) {
    return ("{\"alg\":\"" + alg + "\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}").getBytes(StandardCharsets.UTF_8);
  }

  private static String signRs256(byte[] header, byte[] payload, PrivateKey key) throws GeneralSecurityException {
    String signingInput = b64(header) + "." + b64(payload);
    Signature s = Signature.getInstance("SHA256withRSA");
    s.initSign(key);
    s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + b64(s.sign());
  }

  static byte[] json(Map<String, Object> claims) {
    StringBuilder sb = new StringBuilder("{");
    claims.forEach((k, v) -> {
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append(jsonString(k)).append(':');
      sb.append(v instanceof String ? jsonString((String) v) : String.valueOf(v));
    });
    return sb.append('}').toString().getBytes(StandardCharsets.UTF_8);
  }

  /** A JSON string of any characters, lone surrogates too (as escapes). */
  static String jsonString(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20 || c >= 0x7f) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  private static byte[] unsigned(BigInteger i) {
    byte[] b = i.toByteArray();
    return b[0] == 0 ? Arrays.copyOfRange(b, 1, b.length) : b;
  }

  private static byte[] fixed(BigInteger i, int length) {
    byte[] b = unsigned(i);
    byte[] out = new byte[length];
    System.arraycopy(b, 0, out, length - b.length, b.length);
    return out;
  }

  static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
