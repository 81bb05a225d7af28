/**
 * The extension point for protocol checks in {@code PrivateEgress.doctor} and {@code awaitReady}: a
 * {@link dev.privateegress.spi.TargetChecker} found with {@link java.util.ServiceLoader}, given a {@link
 * dev.privateegress.spi.CheckContext} with the DNS, TCP, TLS and token checks to build on. sdk-http and
 * sdk-redis plug in here; so can a checker of your own for another scheme.
 */
package dev.privateegress.spi;
