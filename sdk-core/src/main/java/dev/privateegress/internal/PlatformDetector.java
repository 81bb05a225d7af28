package dev.privateegress.internal;

import dev.privateegress.Platform;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Decides the platform from environment variables first and the network last. The order is part of
 * the SDK's contract (README, "Platform detection"):
 *
 * <ol>
 *   <li>{@code CLOUD_RUN_JOB} &rarr; cloud-run-job
 *   <li>{@code CLOUD_RUN_WORKER_POOL} &rarr; cloud-run-worker-pool
 *   <li>{@code FUNCTION_TARGET} &rarr; cloud-run-function (before K_SERVICE: functions set both)
 *   <li>{@code K_SERVICE} with {@code K_CONFIGURATION} or {@code K_REVISION} &rarr; cloud-run-service
 *   <li>{@code FUNCTION_NAME} or {@code X_GOOGLE_FUNCTION_NAME} &rarr; cloud-functions-gen1
 *   <li>{@code GAE_SERVICE}: {@code GAE_ENV=standard} &rarr; app-engine-standard, else app-engine-flex
 *   <li>{@code KUBERNETES_SERVICE_HOST} &rarr; gke
 *   <li>a metadata server that answers with {@code Metadata-Flavor: Google} &rarr; gce
 *   <li>otherwise local
 * </ol>
 *
 * <p>Step 8 is asked only through {@code metadataAnswers}, which the caller guards ({@link
 * MetadataFacts#metadataAnswers}): no probe at all off Google Cloud unless {@code GCE_METADATA_HOST}
 * points somewhere.
 */
public final class PlatformDetector {
  private PlatformDetector() {}

  /** The platform that environment variables alone prove, or null when they prove nothing. */
  public static Platform fromEnvironment(Map<String, String> env) {
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

  /** The full chain: environment variables, then the (guarded) metadata probe, then local. */
  public static Platform detect(Map<String, String> env, BooleanSupplier metadataAnswers) {
    Platform p = fromEnvironment(env);
    if (p != null) {
      return p;
    }
    return metadataAnswers.getAsBoolean() ? Platform.GCE : Platform.LOCAL;
  }

  private static boolean set(Map<String, String> env, String name) {
    String v = env.get(name);
    return v != null && !v.isEmpty();
  }
}
