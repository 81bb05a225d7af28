/** Machinery of sdk-http: DNS, the egress interceptor, attempt tracking, doctor checks. Not public API. */
package dev.privateegress.http.internal;
