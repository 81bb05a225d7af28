package dev.privateegress;

/**
 * The runtime this process is on, detected from environment variables first and the metadata
 * server last (see the README's detection table). {@link #toString()} returns the stable id, e.g.
 * {@code cloud-run-service}.
 */
public enum Platform {
  CLOUD_RUN_JOB("cloud-run-job"),
  CLOUD_RUN_WORKER_POOL("cloud-run-worker-pool"),
  CLOUD_RUN_FUNCTION("cloud-run-function"),
  CLOUD_RUN_SERVICE("cloud-run-service"),
  CLOUD_FUNCTIONS_GEN1("cloud-functions-gen1"),
  APP_ENGINE_STANDARD("app-engine-standard"),
  APP_ENGINE_FLEX("app-engine-flex"),
  GKE("gke"),
  GCE("gce"),
  LOCAL("local");

  private final String id;

  Platform(String id) {
    this.id = id;
  }

  /** The stable id used in JSON, logs and documentation. */
  public String id() {
    return id;
  }

  /** True for every platform except {@link #LOCAL}. */
  public boolean onGoogleCloud() {
    return this != LOCAL;
  }

  /** True for Cloud Run services, jobs, worker pools and functions (all run on Cloud Run). */
  public boolean onCloudRun() {
    return this == CLOUD_RUN_JOB
        || this == CLOUD_RUN_WORKER_POOL
        || this == CLOUD_RUN_FUNCTION
        || this == CLOUD_RUN_SERVICE;
  }

  /**
   * True where CPU may be throttled between requests, so the SDK must not rely on background
   * threads: Cloud Run, Cloud Functions and App Engine standard.
   */
  public boolean serverless() {
    return onCloudRun() || this == CLOUD_FUNCTIONS_GEN1 || this == APP_ENGINE_STANDARD;
  }

  @Override
  public String toString() {
    return id;
  }

  /** Parses an id such as {@code cloud-run-service}. */
  public static Platform fromId(String id) {
    for (Platform p : values()) {
      if (p.id.equals(id)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown platform id: " + id);
  }
}
