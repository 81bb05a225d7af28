package dev.privateegress.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP server on loopback that behaves like the GCE / Cloud Run metadata server, for tests.
 *
 * <pre>{@code
 * try (FakeMetadataServer md = FakeMetadataServer.start()) {
 *   PrivateEgress egress = PrivateEgress.builder()
 *       .environment(Map.of("GCE_METADATA_HOST", md.hostPort(), "K_SERVICE", "api", "K_REVISION", "api-1",
 *           "PRIVATE_EGRESS_LOOKUP", "off")) // else egress() on "Cloud Run" asks run.googleapis.com
 *       .build();
 * }
 * }</pre>
 *
 * <p>Point the SDK at it with {@code GCE_METADATA_HOST=}{@link #hostPort()} in the builder's environment
 * map ({@link #environment()} gives exactly that). google-auth's {@code ComputeEngineCredentials} reads
 * {@code GCE_METADATA_HOST} from the real process environment only: set it in the test runner (e.g.
 * surefire's {@code <environmentVariables>}) to a fixed {@code 127.0.0.1:PORT} and start the server on
 * that port with {@link #start(Clock, int)}.
 *
 * <p>Requests without {@code Metadata-Flavor: Google}, or with {@code X-Forwarded-For}, get 403, as on
 * GCP; responses carry the header unless {@link #omitFlavorHeader(boolean)} says otherwise. Identity tokens are unsigned JWTs
 * ({@code alg: none}) with {@code aud}, {@code iat}, {@code exp}, {@code iss} and, with {@code format=full},
 * {@code email}; every token is distinct so tests can tell fetches apart. Serves:
 *
 * <ul>
 *   <li>{@code project/project-id}, {@code project/numeric-project-id}
 *   <li>{@code instance/region}, {@code instance/zone}, {@code instance/id}
 *   <li>{@code instance/service-accounts/default/email}, {@code .../token}, {@code .../identity?audience=}
 *   <li>any other path set with {@link #set(String, String)}
 * </ul>
 *
 * Thread-safe. Times come from the given {@link Clock}, so tokens expire on a {@link MutableClock}.
 */
public final class FakeMetadataServer implements AutoCloseable {
  private static final String PREFIX = "/computeMetadata/v1/";

  private final HttpServer server;
  private final ExecutorService executor;
  private final Clock clock;
  private final Map<String, String> values = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> pathCounts = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> audienceCounts = new ConcurrentHashMap<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger fullFormatRequests = new AtomicInteger();
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private final AtomicLong tokenSerial = new AtomicLong();
  private volatile int failureStatus = 503;
  private volatile String failurePathPrefix = "";
  private volatile Duration latency = Duration.ZERO;
  private volatile Duration tokenLifetime = Duration.ofHours(1);
  private volatile boolean omitFlavor;

  private FakeMetadataServer(Clock clock, InetSocketAddress bind) throws IOException {
    this.clock = clock;
    this.server = HttpServer.create(bind, 64);
    this.executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fake-metadata-server");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    values.put("project/project-id", "test-project");
    values.put("project/numeric-project-id", "123456789012");
    values.put("instance/region", "projects/123456789012/regions/us-central1");
    values.put("instance/zone", "projects/123456789012/zones/us-central1-1");
    values.put("instance/id", "0087244a0d8a2d3e");
    values.put("instance/service-accounts/default/email", "runtime@test-project.iam.gserviceaccount.com");
    server.start();
  }

  /** Starts a server on a free loopback port with the system clock. */
  public static FakeMetadataServer start() {
    return start(Clock.systemUTC());
  }

  /** Starts a server on a free loopback port whose tokens are dated by {@code clock}. */
  public static FakeMetadataServer start(Clock clock) {
    return start(clock, 0);
  }

  /**
   * Starts a server on loopback port {@code port} (0 = any free port), for clients that read a fixed
   * {@code GCE_METADATA_HOST} from the process environment.
   */
  public static FakeMetadataServer start(Clock clock, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, was " + port);
    }
    try {
      return new FakeMetadataServer(clock, new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    } catch (IOException e) {
      throw new IllegalStateException("cannot start fake metadata server on loopback port " + port
          + (port == 0 ? "" : " (in use? pick another one)"), e);
    }
  }

  /**
   * Runs a server in the foreground until killed, bound to {@code ADDRESS PORT} (e.g. {@code 169.254.169.254
   * 80} inside a {@link NetworkLab} instance namespace, where the SDK finds it as on Google Cloud), printing
   * {@code ready} once it listens. Optional third argument: the service account email.
   */
  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length < 2) {
      System.err.println("usage: FakeMetadataServer ADDRESS PORT [SERVICE_ACCOUNT_EMAIL]");
      System.exit(2);
    }
    FakeMetadataServer md = new FakeMetadataServer(Clock.systemUTC(),
        new InetSocketAddress(DnsServer.literal(args[0]), Integer.parseInt(args[1])));
    if (args.length > 2) {
      md.serviceAccountEmail(args[2]);
    }
    System.out.println("ready");
    System.out.flush();
    Thread.currentThread().join(); // until the process is killed
  }

  /** {@code {GCE_METADATA_HOST=127.0.0.1:PORT}}, to merge into a test environment map. */
  public Map<String, String> environment() {
    return Map.of("GCE_METADATA_HOST", hostPort());
  }

  /** {@code 127.0.0.1:PORT}, the value for {@code GCE_METADATA_HOST}. */
  public String hostPort() {
    return server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort();
  }

  /** The port the server listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Sets (or with null removes) the value served at {@code path}, relative to {@code /computeMetadata/v1/}. */
  public FakeMetadataServer set(String path, String value) {
    if (value == null) {
      values.remove(path);
    } else {
      values.put(path, value);
    }
    return this;
  }

  /** Sets the project id. */
  public FakeMetadataServer projectId(String id) {
    return set("project/project-id", id);
  }

  /** Sets the numeric project id (project number). */
  public FakeMetadataServer projectNumber(String number) {
    return set("project/numeric-project-id", number);
  }

  /** Sets the zone, served as {@code projects/NUMBER/zones/ZONE}. */
  public FakeMetadataServer zone(String zone) {
    return set("instance/zone", "projects/" + values.getOrDefault("project/numeric-project-id", "0")
        + "/zones/" + zone);
  }

  /** Sets the region, served as {@code projects/NUMBER/regions/REGION}. */
  public FakeMetadataServer region(String region) {
    return set("instance/region", "projects/" + values.getOrDefault("project/numeric-project-id", "0")
        + "/regions/" + region);
  }

  /** Sets the service-account email, also put in identity tokens requested with {@code format=full}. */
  public FakeMetadataServer serviceAccountEmail(String email) {
    return set("instance/service-accounts/default/email", email);
  }

  /** Lifetime of the access and identity tokens handed out from now on (default one hour). */
  public FakeMetadataServer tokenLifetime(Duration lifetime) {
    if (lifetime.isNegative()) {
      throw new IllegalArgumentException("lifetime must not be negative, was " + lifetime);
    }
    this.tokenLifetime = lifetime;
    return this;
  }

  /** Answers the next {@code count} requests with {@code status} (any path). */
  public FakeMetadataServer failNext(int count, int status) {
    return failNext(count, status, "");
  }

  /** Answers the next {@code count} requests whose path starts with {@code pathPrefix} with {@code status}. */
  public FakeMetadataServer failNext(int count, int status, String pathPrefix) {
    if (count < 0 || status < 100 || status > 599) {
      throw new IllegalArgumentException("need count >= 0 and an HTTP status, was " + count + ", " + status);
    }
    this.failureStatus = status;
    this.failurePathPrefix = pathPrefix;
    this.failuresLeft.set(count);
    return this;
  }

  /** Delays every response by {@code latency} (longer than a client's read timeout = a timeout). */
  public FakeMetadataServer latency(Duration latency) {
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative, was " + latency);
    }
    this.latency = latency;
    return this;
  }

  /** Leaves out the {@code Metadata-Flavor: Google} response header (to test that clients reject that). */
  public FakeMetadataServer omitFlavorHeader(boolean omit) {
    this.omitFlavor = omit;
    return this;
  }

  /** All requests received, including rejected ones. */
  public int requestCount() {
    return requests.get();
  }

  /** Requests received for {@code path} (without query string), e.g. {@code instance/service-accounts/default/identity}. */
  public int requestCount(String path) {
    AtomicInteger c = pathCounts.get(path);
    return c == null ? 0 : c.get();
  }

  /** Identity-token requests received for {@code audience}. */
  public int identityRequests(String audience) {
    AtomicInteger c = audienceCounts.get(audience);
    return c == null ? 0 : c.get();
  }

  /** Access-token requests received. */
  public int accessTokenRequests() {
    return requestCount("instance/service-accounts/default/token");
  }

  /** Identity-token requests received, all audiences. */
  public int identityRequests() {
    return requestCount("instance/service-accounts/default/identity");
  }

  /** Identity-token requests (served or not) that asked for {@code format=full}, all audiences. */
  public int fullFormatRequests() {
    return fullFormatRequests.get();
  }

  /** Forgets all counts. */
  public void resetCounts() {
    requests.set(0);
    fullFormatRequests.set(0);
    pathCounts.clear();
    audienceCounts.clear();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      requests.incrementAndGet();
      String rawPath = ex.getRequestURI().getRawPath();
      String path = rawPath.startsWith(PREFIX) ? rawPath.substring(PREFIX.length()) : rawPath;
      pathCounts.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
      Map<String, String> query = query(ex.getRequestURI().getRawQuery());
      if (path.equals("instance/service-accounts/default/identity")) {
        audienceCounts.computeIfAbsent(query.getOrDefault("audience", ""), k -> new AtomicInteger())
            .incrementAndGet();
        if ("full".equals(query.get("format"))) {
          fullFormatRequests.incrementAndGet();
        }
      }
      Duration delay = latency;
      if (!delay.isZero()) {
        try {
          Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (!omitFlavor) {
        ex.getResponseHeaders().set("Metadata-Flavor", "Google");
      }
      if (!"Google".equals(ex.getRequestHeaders().getFirst("Metadata-Flavor"))) {
        send(ex, 403, "text/plain", "Missing required header \"Metadata-Flavor\": \"Google\"");
        return;
      }
      if (ex.getRequestHeaders().containsKey("X-Forwarded-For")) {
        // The real server refuses proxied requests (a defence against SSRF).
        send(ex, 403, "text/plain", "Request had X-Forwarded-For header and was rejected.");
        return;
      }
      if (!rawPath.startsWith(PREFIX)) {
        send(ex, 404, "text/plain", "not found");
        return;
      }
      if (path.startsWith(failurePathPrefix) && failuresLeft.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
        send(ex, failureStatus, "text/plain", "injected failure " + failureStatus);
        return;
      }
      switch (path) {
        case "instance/service-accounts/default/token" -> {
          long serial = tokenSerial.incrementAndGet();
          String token = "ya29.fake-access-token-" + serial;
          send(ex, 200, "application/json", "{\"access_token\":\"" + token + "\",\"expires_in\":"
              + tokenLifetime.getSeconds() + ",\"token_type\":\"Bearer\"}");
        }
        case "instance/service-accounts/default/identity" -> {
          String audience = query.get("audience");
          if (audience == null || audience.isEmpty()) {
            send(ex, 400, "text/plain", "non-empty audience parameter required");
            return;
          }
          boolean full = "full".equals(query.get("format"));
          send(ex, 200, "text/plain", identityToken(audience, full));
        }
        default -> {
          String v = values.get(path);
          if (v == null) {
            send(ex, 404, "text/plain", "not found");
          } else {
            send(ex, 200, "application/text", v);
          }
        }
      }
    }
  }

  /** An unsigned JWT as the metadata server would hand out (signature left empty). */
  private String identityToken(String audience, boolean full) {
    Instant now = clock.instant();
    long iat = now.getEpochSecond();
    long exp = now.plus(tokenLifetime).getEpochSecond();
    String email = values.getOrDefault("instance/service-accounts/default/email", "");
    StringBuilder claims = new StringBuilder()
        .append("{\"aud\":\"").append(escape(audience)).append('"')
        .append(",\"azp\":\"1122334455\"")
        .append(",\"exp\":").append(exp)
        .append(",\"iat\":").append(iat)
        .append(",\"iss\":\"https://accounts.google.com\"")
        .append(",\"sub\":\"1122334455\"")
        .append(",\"jti\":\"").append(tokenSerial.incrementAndGet()).append('"');
    if (full) {
      claims.append(",\"email\":\"").append(escape(email)).append("\",\"email_verified\":true");
    }
    claims.append('}');
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
        + "." + b64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8)) + ".";
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> m = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return m;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      m.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return m;
  }

  private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** Stops the server and its threads. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return "FakeMetadataServer{" + hostPort() + "}";
  }
}
