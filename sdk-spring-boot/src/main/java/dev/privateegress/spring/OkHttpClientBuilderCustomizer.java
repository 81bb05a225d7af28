package dev.privateegress.spring;

import okhttp3.OkHttpClient;

/**
 * Changes the {@link OkHttpClient.Builder} of the auto-configured {@code OkHttpClient} bean before the SDK
 * completes it with {@code PrivateHttp.configure}: timeouts, event listeners, interceptors, a fallback DNS.
 * Applied in {@link org.springframework.core.Ordered order}. The SDK then adds its DNS overrides, token
 * injection, redirects, retries and a serverless-sized connection pool (replacing one set here).
 */
@FunctionalInterface
public interface OkHttpClientBuilderCustomizer {

  /**
   * Changes the builder in place.
   *
   * @param builder the builder the bean will be built from
   */
  void customize(OkHttpClient.Builder builder);
}
