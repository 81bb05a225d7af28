/**
 * Micrometer Observation contexts and conventions of the SDK's traces (docs/tracing.md). Micrometer is an
 * optional dependency: these types load only when an {@code ObservationRegistry} was given.
 */
package dev.privateegress.observation;
