package dev.privateegress.spring;

import dev.privateegress.PrivateEgressBuilder;
import dev.privateegress.PrivateEgress;

/**
 * Completes the {@link PrivateEgressBuilder} of the auto-configured {@code PrivateEgress} bean: credentials,
 * a token provider, retry policy and budgets, or (in tests) the environment map to read instead of the
 * process environment. Applied in {@link org.springframework.core.Ordered order} after the {@code
 * private-egress.*} properties, the listener and the process environment are set, so what a customizer sets
 * wins. A listener set here replaces the one composed from {@code EgressListener} beans and the meters.
 */
@FunctionalInterface
public interface PrivateEgressBuilderCustomizer {

  /**
   * Changes the builder in place.
   *
   * @param builder the builder the bean will be built from
   */
  void customize(PrivateEgressBuilder builder);
}
