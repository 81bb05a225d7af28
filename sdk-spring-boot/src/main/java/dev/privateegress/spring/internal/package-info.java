/** Machinery of the starter; not part of its API. */
package dev.privateegress.spring.internal;
