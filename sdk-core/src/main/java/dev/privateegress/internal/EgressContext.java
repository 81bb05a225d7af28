package dev.privateegress.internal;

import dev.privateegress.EgressConfig;
import dev.privateegress.EgressListener;
import dev.privateegress.Platform;
import dev.privateegress.TokenProvider;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What the machinery behind {@code PrivateEgress} needs from it, handed over at construction: the
 * validated configuration, the environment, the clock, the listener, and lazy access to the platform,
 * the token provider and the metadata facts. The machinery never calls back into the facade.
 */
public final class EgressContext {
  private final EgressConfig config;
  private final Map<String, String> env;
  private final Clock clock;
  private final EgressListener listener;
  private final Supplier<Platform> platform;
  private final Supplier<TokenProvider> tokens;
  private final MetadataFacts metadata;
  private final Object observationRegistry;

  public EgressContext(EgressConfig config, Map<String, String> env, Clock clock, EgressListener listener,
      Supplier<Platform> platform, Supplier<TokenProvider> tokens, MetadataFacts metadata,
      Object observationRegistry) {
    this.observationRegistry = observationRegistry;
    this.config = config;
    this.env = env;
    this.clock = clock;
    this.listener = listener;
    this.platform = platform;
    this.tokens = tokens;
    this.metadata = metadata;
  }

  public EgressConfig config() {
    return config;
  }

  /** The environment (read-only; its {@code toString()} masks secrets). */
  public Map<String, String> environment() {
    return env;
  }

  public Clock clock() {
    return clock;
  }

  /** The listener, already wrapped so that its exceptions never reach the SDK. */
  public EgressListener listener() {
    return listener;
  }

  /** The platform, detected on first call. */
  public Platform platform() {
    return platform.get();
  }

  /** The token provider, created on first call. */
  public TokenProvider tokens() {
    return tokens.get();
  }

  /** The Micrometer {@code ObservationRegistry} to trace with, or null (Micrometer then never loaded). */
  public Object observationRegistry() {
    return observationRegistry;
  }

  public MetadataFacts metadata() {
    return metadata;
  }

  /** The service account's email, or empty when unknown (metadata failures read as unknown). */
  public Optional<String> serviceAccountEmail() {
    return metadata.lenient(MetadataFacts::serviceAccountEmail);
  }
}
