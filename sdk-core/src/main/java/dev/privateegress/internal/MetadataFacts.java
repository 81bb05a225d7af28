package dev.privateegress.internal;

import dev.privateegress.Platform;
import dev.privateegress.internal.MetadataClient.MetadataException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Facts about the runtime that come from variables or the metadata server: the platform, project, project
 * number, region, service account. The platform is detected once; values read from the server are cached,
 * failures are not (the server may answer next time). Every read is bounded by a {@link System#nanoTime()}
 * deadline.
 *
 * <p>The platform comes from environment variables first and the network last. The order is part of the
 * SDK's contract (README, "Platform detection"):
 *
 * <ol>
 *   <li>{@code CLOUD_RUN_JOB} &rarr; cloud-run-job
 *   <li>{@code CLOUD_RUN_WORKER_POOL} &rarr; cloud-run-worker-pool
 *   <li>{@code FUNCTION_TARGET} &rarr; cloud-run-function (before K_SERVICE: functions set both)
 *   <li>{@code K_SERVICE} with {@code K_CONFIGURATION} or {@code K_REVISION} &rarr; cloud-run-service
 *   <li>{@code FUNCTION_NAME} or {@code X_GOOGLE_FUNCTION_NAME} &rarr; cloud-functions-gen1
 *   <li>{@code GAE_SERVICE}: {@code GAE_ENV=standard} &rarr; app-engine-standard, else app-engine-flex
 *   <li>{@code KUBERNETES_SERVICE_HOST} &rarr; gke
 *   <li>a metadata server that answers with {@code Metadata-Flavor: Google} ({@link #metadataAnswers()})
 *       &rarr; gce
 *   <li>otherwise local
 * </ol>
 *
 * <p>The metadata server is asked only when it is worth it: never off Google Cloud unless {@code
 * GCE_METADATA_HOST} points somewhere, so a laptop pays nothing. Whether this is Google Cloud is told by
 * the runtime's variables, then by the machine's DMI product name ("Google Compute Engine").
 */
public final class MetadataFacts {
  /** Loaded on first log call only: slf4j start-up must stay off the fromEnvironment() path. */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(MetadataFacts.class);
  }

  private final MetadataClient client;
  private final Map<String, String> env;
  private final boolean hostOverridden;
  private final boolean noGceCheck;
  private final Path dmiProductName;
  private final Map<String, Optional<String>> cache = new HashMap<>();
  private volatile Platform platform;

  /**
   * @param hostOverridden {@code GCE_METADATA_HOST} is set: the server is asked wherever this runs
   * @param dmiProductName the file naming the machine's product, or null
   */
  public MetadataFacts(MetadataClient client, Map<String, String> env, boolean hostOverridden,
      boolean noGceCheck, Path dmiProductName) {
    this.client = client;
    this.env = env;
    this.hostOverridden = hostOverridden;
    this.noGceCheck = noGceCheck;
    this.dmiProductName = dmiProductName;
  }

  /** The platform, detected on first call: the variables, then (guarded) the metadata server, else local. */
  public Platform platform() {
    Platform p = platform;
    if (p == null) {
      synchronized (this) {
        p = platform;
        if (p == null) {
          p = platformFromEnvironment(env);
          if (p == null) {
            p = metadataAnswers() ? Platform.GCE : Platform.LOCAL;
          }
          platform = p;
        }
      }
    }
    return p;
  }

  /** The platform if {@link #platform()} already detected it, else null; never detects. */
  public Platform detectedPlatform() {
    return platform;
  }

  /** The platform that environment variables alone prove, or null when they prove nothing. */
  public static Platform platformFromEnvironment(Map<String, String> env) {
    if (set(env, "CLOUD_RUN_JOB")) {
      return Platform.CLOUD_RUN_JOB;
    }
    if (set(env, "CLOUD_RUN_WORKER_POOL")) {
      return Platform.CLOUD_RUN_WORKER_POOL;
    }
    if (set(env, "FUNCTION_TARGET")) {
      return Platform.CLOUD_RUN_FUNCTION;
    }
    if (set(env, "K_SERVICE") && (set(env, "K_CONFIGURATION") || set(env, "K_REVISION"))) {
      return Platform.CLOUD_RUN_SERVICE;
    }
    if (set(env, "FUNCTION_NAME") || set(env, "X_GOOGLE_FUNCTION_NAME")) {
      return Platform.CLOUD_FUNCTIONS_GEN1;
    }
    if (set(env, "GAE_SERVICE")) {
      return "standard".equals(env.get("GAE_ENV")) ? Platform.APP_ENGINE_STANDARD : Platform.APP_ENGINE_FLEX;
    }
    if (set(env, "KUBERNETES_SERVICE_HOST")) {
      return Platform.GKE;
    }
    return null;
  }

  private static boolean set(Map<String, String> env, String name) {
    String v = env.get(name);
    return v != null && !v.isEmpty();
  }

  /** A deadline that gives one read its full connect and read timeouts. */
  public long defaultDeadline() {
    return System.nanoTime() + client.connectTimeout().toNanos() + client.readTimeout().toNanos();
  }

  /** {@code GOOGLE_CLOUD_PROJECT}, {@code GCLOUD_PROJECT}, {@code GCP_PROJECT}, else the metadata server. */
  public Optional<String> project(long deadlineNanos) throws MetadataException {
    for (String name : List.of("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "GCP_PROJECT")) {
      String v = env.get(name);
      if (v != null && !v.isBlank()) {
        return Optional.of(v.trim());
      }
    }
    return value("project/project-id", deadlineNanos);
  }

  /** The numeric project number (some admin APIs need it). */
  public Optional<String> projectNumber(long deadlineNanos) throws MetadataException {
    return value("project/numeric-project-id", deadlineNanos);
  }

  /**
   * {@code FUNCTION_REGION} (Cloud Functions gen1), else the metadata server's {@code instance/region}
   * (serverless) or the region of {@code instance/zone} (GCE, GKE).
   */
  public Optional<String> region(long deadlineNanos) throws MetadataException {
    String v = env.get("FUNCTION_REGION");
    if (v != null && !v.isBlank()) {
      return Optional.of(v.trim());
    }
    Optional<String> region = value("instance/region", deadlineNanos).map(MetadataFacts::lastSegment);
    if (region.isPresent()) {
      return region;
    }
    return value("instance/zone", deadlineNanos).map(MetadataFacts::lastSegment).map(zone -> {
      int dash = zone.lastIndexOf('-');
      return dash > 0 ? zone.substring(0, dash) : zone;
    });
  }

  /** The runtime service account's email. */
  public Optional<String> serviceAccountEmail(long deadlineNanos) throws MetadataException {
    return value("instance/service-accounts/default/email", deadlineNanos);
  }

  /** Reads one fact with the default deadline; a failure (logged at debug) reads as absent. */
  public Optional<String> lenient(Fact fact) {
    try {
      return fact.read(this, defaultDeadline());
    } catch (MetadataException e) {
      Log.LOG.debug("metadata unavailable: {}", e.getMessage());
      return Optional.empty();
    }
  }

  /** One of this class's reads, for {@link #lenient}. */
  @FunctionalInterface
  public interface Fact {
    Optional<String> read(MetadataFacts facts, long deadlineNanos) throws MetadataException;
  }

  /**
   * Whether a metadata server answers, for platform detection: a short, bounded request when {@code
   * GCE_METADATA_HOST} is set, else the DMI product name; never true with {@code NO_GCE_CHECK}.
   */
  public boolean metadataAnswers() {
    if (noGceCheck) {
      return false;
    }
    if (hostOverridden) {
      try {
        client.get("project/project-id", Duration.ofMillis(500), Duration.ofMillis(1000));
        return true;
      } catch (MetadataException e) {
        Log.LOG.debug("no metadata server at {}: {}", client.host(), e.getMessage());
        return false;
      }
    }
    return dmiSaysGoogle();
  }

  private boolean allowed() {
    if (hostOverridden) {
      return true;
    }
    if (noGceCheck) {
      return false;
    }
    Platform p = platform;
    if (p != null) {
      return p.onGoogleCloud();
    }
    return platformFromEnvironment(env) != null || dmiSaysGoogle();
  }

  private boolean dmiSaysGoogle() {
    if (dmiProductName == null) {
      return false;
    }
    try {
      return Files.readString(dmiProductName, StandardCharsets.UTF_8).trim().startsWith("Google");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * The cached value of {@code path}, or a read whose connect and read timeouts are capped by the time
   * left; a failure is thrown, not cached, so the caller can tell it from an absent value.
   */
  private Optional<String> value(String path, long deadlineNanos) throws MetadataException {
    synchronized (cache) {
      Optional<String> cached = cache.get(path);
      if (cached != null) {
        return cached;
      }
    }
    if (!allowed()) {
      return Optional.empty();
    }
    Duration left = Duration.ofNanos(deadlineNanos - System.nanoTime());
    if (left.toMillis() < 1) {
      throw new MetadataException("metadata server " + client.host() + ": no time left to read " + path, -1);
    }
    Optional<String> v = client.get(path, min(client.connectTimeout(), left), min(client.readTimeout(), left))
        .map(String::trim).filter(s -> !s.isEmpty());
    synchronized (cache) {
      cache.put(path, v);
    }
    return v;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static String lastSegment(String s) {
    int slash = s.lastIndexOf('/');
    return slash >= 0 ? s.substring(slash + 1) : s;
  }
}
