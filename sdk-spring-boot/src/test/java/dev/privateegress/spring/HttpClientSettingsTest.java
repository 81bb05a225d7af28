package dev.privateegress.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.ConfigurationException;
import dev.privateegress.testing.NoDelayServerSocketFactory;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.client.ClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.HttpClientSettings;
import org.springframework.boot.http.client.autoconfigure.HttpClientAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.imperative.ImperativeHttpClientAutoConfiguration;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslStoreBundle;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.http.ResponseEntity;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;

/**
 * Boot 4's {@code spring.http.clients.*} and {@code ClientHttpRequestFactoryBuilder} beans meet the SDK's request
 * factory: through a context's {@code RestClient.Builder} to a real server, each setting applies or stops start-up.
 */
class HttpClientSettingsTest {
  private MockWebServer api;

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(PrivateEgressAutoConfiguration.class,
          PrivateEgressHttpAutoConfiguration.class, HttpClientAutoConfiguration.class,
          ImperativeHttpClientAutoConfiguration.class, RestClientAutoConfiguration.class))
      .withBean("testEnvironment", PrivateEgressBuilderCustomizer.class,
          () -> b -> b.environment(Map.of("NO_GCE_CHECK", "true")).retryPolicy(PrivateEgressAutoConfigurationTest.FAST))
      .withPropertyValues("private-egress.hosts=my.api.private=127.0.0.1");

  @BeforeEach
  void start() throws Exception {
    api = new MockWebServer();
    api.setServerSocketFactory(new NoDelayServerSocketFactory());
    api.start();
  }

  @AfterEach
  void stop() {
    api.close();
  }

  private RestClient rest(AssertableApplicationContext ctx) {
    assertThat(ctx).hasNotFailed();
    return ctx.getBean(RestClient.Builder.class).baseUrl("http://my.api.private:" + api.getPort()).build();
  }

  @Test
  void timeoutsApplyToTheSdksClient() {
    runner.withPropertyValues("spring.http.clients.connect-timeout=3s", "spring.http.clients.read-timeout=300ms")
        .run(ctx -> {
          OkHttpClient client = ctx.getBean(OkHttpClient.class);
          assertThat(client.connectTimeoutMillis()).isEqualTo(3000);
          assertThat(client.readTimeoutMillis()).isEqualTo(300);
          // A server slower than the read timeout (OkHttp's default would wait 10 s for it).
          api.enqueue(new MockResponse.Builder().body("late").headersDelay(1, TimeUnit.SECONDS).build());
          assertThatThrownBy(() -> rest(ctx).get().uri("/slow").retrieve().body(String.class))
              .isInstanceOf(ResourceAccessException.class)
              .hasMessageContaining("read timeout");
          assertThat(api.getRequestCount()).isEqualTo(1);
        });
  }

  @Test
  void withoutTheSettingsOkHttpsDefaultsStay() {
    runner.run(ctx -> assertThat(ctx.getBean(OkHttpClient.class).readTimeoutMillis()).isEqualTo(10_000));
  }

  @Test
  void dontFollowReturnsTheRedirectAndFollowFollowsIt() {
    api.enqueue(new MockResponse.Builder().code(302).setHeader("Location", "/moved").build());
    runner.withPropertyValues("spring.http.clients.redirects=dont-follow").run(ctx -> {
      ResponseEntity<String> answer = rest(ctx).get().uri("/old").retrieve().toEntity(String.class);
      assertThat(answer.getStatusCode().value()).isEqualTo(302);
      assertThat(api.getRequestCount()).isEqualTo(1);
    });

    api.enqueue(new MockResponse.Builder().code(302).setHeader("Location", "/moved").build());
    api.enqueue(new MockResponse.Builder().body("here").build());
    runner.withPropertyValues("spring.http.clients.redirects=follow").run(ctx -> {
      assertThat(rest(ctx).get().uri("/old").retrieve().body(String.class)).isEqualTo("here");
      assertThat(api.getRequestCount()).isEqualTo(3);
    });
  }

  @Test
  void anSslBundleIsRefusedNamingTheProperty() {
    runner.withBean(HttpClientSettings.class, () -> HttpClientSettings.defaults().withSslBundle(SslBundle.of(SslStoreBundle.NONE)))
        .run(ctx -> assertThat(configurationFailure(ctx))
            .isNotNull()
            .satisfies(e -> assertThat(e.input()).isEqualTo("spring.http.clients.ssl.bundle"))
            .hasMessageContaining("OkHttpClientBuilderCustomizer"));
  }

  @Test
  void anotherFactoryIsRefusedNamingThePropertyOrTheBean() {
    runner.withPropertyValues("spring.http.clients.imperative.factory=jdk")
        .run(ctx -> assertThat(configurationFailure(ctx)).isNotNull()
            .hasMessageContaining("spring.http.clients.imperative.factory").hasMessageContaining("jdk")
            .hasMessageContaining("private-egress.rest-client.enabled=false"));
    runner.withBean("myFactoryBuilder", ClientHttpRequestFactoryBuilder.class, ClientHttpRequestFactoryBuilder::jdk)
        .run(ctx -> assertThat(configurationFailure(ctx)).isNotNull().hasMessageContaining("myFactoryBuilder"));
    // Turned off, Boot's client is the user's to choose.
    runner.withPropertyValues("spring.http.clients.imperative.factory=jdk", "private-egress.rest-client.enabled=false")
        .run(ctx -> assertThat(ctx).hasNotFailed());
  }

  private static ConfigurationException configurationFailure(AssertableApplicationContext ctx) {
    assertThat(ctx).hasFailed();
    Throwable cause = ctx.getStartupFailure();
    while (cause != null && !(cause instanceof ConfigurationException)) {
      cause = cause.getCause();
    }
    return (ConfigurationException) cause;
  }
}
