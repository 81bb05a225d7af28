/**
 * Machinery behind the public API of {@code dev.privateegress}. Not a stable API: anything here may
 * change in any release.
 */
package dev.privateegress.internal;
