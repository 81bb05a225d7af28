package dev.privateegress.spring;

import dev.privateegress.PrivateEgress;
import dev.privateegress.http.PrivateHttp;
import java.io.IOException;
import okhttp3.OkHttpClient;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.http.client.HttpClientSettings;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.boot.restclient.RestTemplateCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.http.client.ClientHttpRequestFactory;

/**
 * Auto-configuration of the {@link OkHttpClient} bean from {@link PrivateHttp} (when sdk-http is on the class
 * path), of a {@link ClientHttpRequestFactory} over it, and of the customizers that give every
 * {@code RestClient.Builder} and {@code RestTemplateBuilder} of the context that factory. Boot's
 * {@code spring.http.clients.*} settings apply to that client or stop start-up with a message naming the
 * property; none is silently ignored (see {@link HttpClientSettingsCustomizer}).
 */
@AutoConfiguration(after = PrivateEgressAutoConfiguration.class,
    beforeName = {"org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration",
        "org.springframework.boot.restclient.autoconfigure.RestTemplateAutoConfiguration"})
@ConditionalOnClass({PrivateHttp.class, OkHttpClient.class})
@ConditionalOnBean(PrivateEgress.class)
public final class PrivateEgressHttpAutoConfiguration implements DisposableBean {

  /** The client this configuration made, shut down with it (OkHttp clients have no {@code close()}). */
  private volatile OkHttpClient created;

  PrivateEgressHttpAutoConfiguration() {}

  /**
   * The client: {@link OkHttpClientBuilderCustomizer} beans first, then {@code PrivateHttp.configure}. Its
   * dispatcher threads, pooled connections and cache are released when the context closes, after every bean
   * that uses it is gone.
   */
  @Bean
  @ConditionalOnMissingBean
  OkHttpClient okHttpClient(PrivateEgress egress, ObjectProvider<OkHttpClientBuilderCustomizer> customizers) {
    OkHttpClient.Builder builder = new OkHttpClient.Builder();
    customizers.orderedStream().forEach(c -> c.customize(builder));
    OkHttpClient client = PrivateHttp.configure(egress, builder).build();
    created = client;
    return client;
  }

  @Override
  public void destroy() throws IOException {
    OkHttpClient client = created;
    if (client != null) {
      created = null;
      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
      if (client.cache() != null) {
        client.cache().close();
      }
    }
  }

  /**
   * Boot's {@code spring.http.clients.*} settings onto the SDK's client, before the application's own
   * {@link OkHttpClientBuilderCustomizer}s (code wins over properties). See {@link HttpClientSettingsCustomizer}.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HttpClientSettings.class)
  static class HttpClientSettingsConfiguration {

    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE)
    @ConditionalOnMissingBean(name = "privateEgressHttpClientSettingsCustomizer")
    OkHttpClientBuilderCustomizer privateEgressHttpClientSettingsCustomizer(ObjectProvider<HttpClientSettings> settings,
        Environment environment) {
      return new HttpClientSettingsCustomizer(settings.getIfAvailable(HttpClientSettings::defaults),
          environment.getProperty("spring.http.clients.ssl.bundle"));
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(ClientHttpRequestFactory.class)
  static class RequestFactoryConfiguration {

    /** Spring's HTTP clients over the {@code OkHttpClient} bean; usable per client when the customizers are off. */
    @Bean
    @ConditionalOnMissingBean(name = "privateEgressClientHttpRequestFactory")
    OkHttpClientHttpRequestFactory privateEgressClientHttpRequestFactory(OkHttpClient okHttpClient) {
      return new OkHttpClientHttpRequestFactory(okHttpClient);
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({ClientHttpRequestFactory.class, RestClientCustomizer.class})
  @ConditionalOnBooleanProperty(name = "private-egress.rest-client.enabled", matchIfMissing = true)
  static class RestClientConfiguration {

    /** Runs before the application's own customizers, so one of those can still pick another factory. */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE)
    @ConditionalOnMissingBean(name = "privateEgressRestClientCustomizer")
    RestClientCustomizer privateEgressRestClientCustomizer(
        @Qualifier("privateEgressClientHttpRequestFactory") ClientHttpRequestFactory requestFactory,
        ConfigurableListableBeanFactory beans, Environment environment) {
      HttpClientSettingsCustomizer.refuseOtherFactories(beans, environment);
      return builder -> builder.requestFactory(requestFactory);
    }

    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE)
    @ConditionalOnMissingBean(name = "privateEgressRestTemplateCustomizer")
    RestTemplateCustomizer privateEgressRestTemplateCustomizer(
        @Qualifier("privateEgressClientHttpRequestFactory") ClientHttpRequestFactory requestFactory,
        ConfigurableListableBeanFactory beans, Environment environment) {
      HttpClientSettingsCustomizer.refuseOtherFactories(beans, environment);
      return restTemplate -> restTemplate.setRequestFactory(requestFactory);
    }
  }
}
