package dev.privateegress.spring;

import dev.privateegress.ConfigurationException;
import java.util.Arrays;
import java.util.List;
import okhttp3.OkHttpClient;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.http.client.ClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.HttpClientSettings;
import org.springframework.core.env.Environment;

/**
 * Where Boot 4's HTTP client seam meets the SDK's client. {@code spring.http.clients.connect-timeout} and
 * {@code read-timeout} become the {@code OkHttpClient}'s timeouts; {@code redirects} ({@code follow},
 * {@code follow-when-possible}, {@code dont-follow}) its redirect setting, which the SDK's same-origin redirect
 * handling honours. Settings the SDK's client cannot take stop start-up with a {@link ConfigurationException}
 * naming the property: {@code spring.http.clients.ssl.bundle} (its TLS comes from an
 * {@link OkHttpClientBuilderCustomizer}), {@code spring.http.clients.imperative.factory} and an application
 * {@link ClientHttpRequestFactoryBuilder} bean (each names another client, which the SDK's factory would replace).
 */
final class HttpClientSettingsCustomizer implements OkHttpClientBuilderCustomizer {
  private static final String TURN_OFF = " Or set private-egress.rest-client.enabled=false so Spring's clients keep "
      + "Boot's factory, and give the OkHttpClientHttpRequestFactory to the clients that reach private targets.";

  private final HttpClientSettings settings;
  private final String bundleName;

  /** {@code bundleName}: {@code spring.http.clients.ssl.bundle} as set, for the message; null if unset. */
  HttpClientSettingsCustomizer(HttpClientSettings settings, String bundleName) {
    this.settings = settings;
    this.bundleName = bundleName;
  }

  @Override
  public void customize(OkHttpClient.Builder builder) {
    if (settings.sslBundle() != null) {
      throw new ConfigurationException("spring.http.clients.ssl.bundle",
          bundleName != null ? bundleName : "(an SSL bundle in the HttpClientSettings bean)",
          "the SDK's OkHttp client does not take an SSL bundle; configure its TLS with an "
              + "OkHttpClientBuilderCustomizer (sslSocketFactory) instead." + TURN_OFF);
    }
    if (settings.connectTimeout() != null) {
      builder.connectTimeout(settings.connectTimeout());
    }
    if (settings.readTimeout() != null) {
      builder.readTimeout(settings.readTimeout());
    }
    if (settings.redirects() != null) {
      boolean follow = switch (settings.redirects()) {
        case FOLLOW, FOLLOW_WHEN_POSSIBLE -> true;
        case DONT_FOLLOW -> false;
      };
      builder.followRedirects(follow).followSslRedirects(follow);
    }
  }

  /**
   * Fails when the application chose another HTTP client for Spring's clients: the SDK's request factory would
   * silently replace it.
   */
  static void refuseOtherFactories(ConfigurableListableBeanFactory beans, Environment environment) {
    String factory = environment.getProperty("spring.http.clients.imperative.factory");
    if (factory != null) {
      throw new ConfigurationException("spring.http.clients.imperative.factory", factory,
          "Spring's clients get the SDK's OkHttp request factory, not this one; remove the property." + TURN_OFF);
    }
    List<String> own = Arrays.stream(beans.getBeanNamesForType(ClientHttpRequestFactoryBuilder.class, true, false))
        .filter(name -> !bootsOwn(beans, name))
        .toList();
    if (!own.isEmpty()) {
      throw new ConfigurationException("ClientHttpRequestFactoryBuilder bean", String.join(", ", own),
          "Spring's clients get the SDK's OkHttp request factory, which would replace the client this bean builds; "
              + "remove the bean." + TURN_OFF);
    }
  }

  private static boolean bootsOwn(ConfigurableListableBeanFactory beans, String name) {
    if (!beans.containsBeanDefinition(name)) {
      return false;
    }
    BeanDefinition definition = beans.getBeanDefinition(name);
    String from = definition.getFactoryBeanName() == null ? null
        : beans.getBeanDefinition(definition.getFactoryBeanName()).getBeanClassName();
    return from != null && from.startsWith("org.springframework.boot.http.client.autoconfigure.");
  }
}
