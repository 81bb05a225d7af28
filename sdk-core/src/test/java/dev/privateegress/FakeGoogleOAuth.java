package dev.privateegress;

import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.auth.http.HttpTransportFactory;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URL;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback stand-in for Google's OAuth token endpoint and the IAM Service Account Credentials API,
 * so google-auth's ServiceAccountCredentials and ImpersonatedCredentials run their real HTTP code.
 * Assertions signed by the service-account key are verified with the key's public half.
 */
final class FakeGoogleOAuth implements AutoCloseable {
  private static final Pattern TARGET_AUDIENCE = Pattern.compile("\"target_audience\"\\s*:\\s*\"([^\"]+)\"");
  private static final Pattern AUDIENCE = Pattern.compile("\"audience\"\\s*:\\s*\"([^\"]+)\"");
  private static final Pattern INCLUDE_EMAIL = Pattern.compile("\"includeEmail\"\\s*:\\s*true");
  private static final Pattern IMPERSONATE = Pattern.compile("/v1/projects/-/serviceAccounts/([^/:]+):(generateIdToken|generateAccessToken)");

  private final HttpServer server;
  private final Clock clock;
  /** One key for every test: generating RSA keys is slow on a busy machine. */
  private static final KeyPair KEYS = generate();
  private final KeyPair keys = KEYS;
  private final AtomicInteger serial = new AtomicInteger();
  final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  volatile boolean denyImpersonation;
  volatile Duration lifetime = Duration.ofHours(1);

  FakeGoogleOAuth(Clock clock) throws IOException {
    this.clock = clock;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    server.createContext("/", this::handle);
    server.start();
  }

  private static KeyPair generate() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  int count(String what) {
    AtomicInteger c = counts.get(what);
    return c == null ? 0 : c.get();
  }

  /** Writes a service-account key file whose token_uri points here. */
  Path keyFile(Path dir, String email) throws IOException {
    String pem = "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(keys.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
    String json = "{\"type\":\"service_account\",\"project_id\":\"test-project\",\"private_key_id\":\"k1\","
        + "\"private_key\":" + quote(pem) + ",\"client_email\":\"" + email + "\",\"client_id\":\"1234\","
        + "\"token_uri\":\"" + base() + "/token\"}";
    Path f = dir.resolve("key-" + serial.incrementAndGet() + ".json");
    Files.writeString(f, json);
    return f;
  }

  /** A transport that sends every google-auth request (e.g. to iamcredentials.googleapis.com) here instead. */
  HttpTransportFactory transport() {
    int port = server.getAddress().getPort();
    return () -> new NetHttpTransport.Builder()
        .setConnectionFactory(url -> (HttpURLConnection) new URL("http", "127.0.0.1", port, url.getFile())
            .openConnection(Proxy.NO_PROXY))
        .build();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      if (path.equals("/token")) {
        Map<String, String> form = form(body);
        String assertion = form.getOrDefault("assertion", "");
        if (!"urn:ietf:params:oauth:grant-type:jwt-bearer".equals(form.get("grant_type")) || !verified(assertion)) {
          send(ex, 400, "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT Signature.\"}");
          return;
        }
        String claims = decode(assertion.split("\\.")[1]);
        String iss = match(Pattern.compile("\"iss\"\\s*:\\s*\"([^\"]+)\""), claims);
        Matcher aud = TARGET_AUDIENCE.matcher(claims);
        if (aud.find()) {
          bump("sa-id:" + aud.group(1));
          send(ex, 200, "{\"id_token\":\"" + jwt(aud.group(1), iss) + "\"}");
        } else {
          bump("sa-access");
          send(ex, 200, "{\"access_token\":\"ya29.sa-" + serial.incrementAndGet() + "\",\"expires_in\":"
              + lifetime.getSeconds() + ",\"token_type\":\"Bearer\"}");
        }
        return;
      }
      Matcher m = IMPERSONATE.matcher(path);
      if (m.matches() && "POST".equals(ex.getRequestMethod())) {
        String target = URLDecoder.decode(m.group(1), StandardCharsets.UTF_8);
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.startsWith("Bearer ") || denyImpersonation) {
          send(ex, 403, "{\"error\":{\"code\":403,\"message\":\"Permission 'iam.serviceAccounts.getOpenIdToken' "
              + "denied on resource (or it may not exist).\",\"status\":\"PERMISSION_DENIED\"}}");
          return;
        }
        if (m.group(2).equals("generateIdToken")) {
          String audience = match(AUDIENCE, body);
          bump("iam-id:" + audience + (INCLUDE_EMAIL.matcher(body).find() ? ":email" : ""));
          send(ex, 200, "{\"token\":\"" + jwt(audience, target) + "\"}");
        } else {
          bump("iam-access");
          send(ex, 200, "{\"accessToken\":\"ya29.imp-" + serial.incrementAndGet() + "\",\"expireTime\":\""
              + clock.instant().plus(lifetime) + "\"}");
        }
        return;
      }
      send(ex, 404, "{\"error\":\"not found\"}");
    }
  }

  private void bump(String what) {
    counts.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
  }

  private boolean verified(String jwt) {
    String[] p = jwt.split("\\.");
    if (p.length != 3) {
      return false;
    }
    try {
      Signature s = Signature.getInstance("SHA256withRSA");
      s.initVerify(keys.getPublic());
      s.update((p[0] + "." + p[1]).getBytes(StandardCharsets.US_ASCII));
      return s.verify(Base64.getUrlDecoder().decode(p[2]));
    } catch (Exception e) {
      return false;
    }
  }

  private String jwt(String audience, String email) {
    long now = clock.instant().getEpochSecond();
    String claims = "{\"aud\":\"" + audience + "\",\"email\":\"" + email + "\",\"exp\":"
        + (now + lifetime.getSeconds()) + ",\"iat\":" + now + ",\"iss\":\"https://accounts.google.com\",\"jti\":\""
        + serial.incrementAndGet() + "\"}";
    Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
    return b.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + b.encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + "." + b.encodeToString(new byte[] {1, 2, 3});
  }

  private static String match(Pattern p, String s) {
    Matcher m = p.matcher(s);
    return m.find() ? m.group(1) : "";
  }

  private static String decode(String b64) {
    return new String(Base64.getUrlDecoder().decode(b64), StandardCharsets.UTF_8);
  }

  private static Map<String, String> form(String body) {
    Map<String, String> m = new HashMap<>();
    for (String pair : body.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        m.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return m;
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }

  private static void send(HttpExchange ex, int status, String json) throws IOException {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
