/**
 * Machinery behind the public API of {@code dev.privateegress}. Not a stable API: anything here may
 * change in any release. {@link dev.privateegress.internal.EgressRuntime} holds the wiring of one {@code
 * PrivateEgress}, which is its public face; the classes here are handed the runtime, never the face. sdk-http
 * and sdk-redis read a {@code PrivateEgress} through its public methods and use only the stateless machinery
 * of this package (the retry engine, advice, host and TLS helpers). docs/internals.md has the map.
 */
package dev.privateegress.internal;
