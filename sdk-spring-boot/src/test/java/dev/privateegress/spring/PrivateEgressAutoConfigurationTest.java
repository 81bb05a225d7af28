package dev.privateegress.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.PrivateEgressBuilder;
import dev.privateegress.ConfigurationException;
import dev.privateegress.EgressListener;
import dev.privateegress.EgressMode;
import dev.privateegress.PrivateEgress;
import dev.privateegress.RetryPolicy;
import dev.privateegress.http.PrivateHttp;
import dev.privateegress.redis.PrivateRedis;
import dev.privateegress.redis.internal.JedisVersions;
import dev.privateegress.testing.NoDelayServerSocketFactory;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.boot.restclient.RestTemplateCustomizer;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.UnifiedJedis;

/** Every condition of the auto-configuration, on an {@link ApplicationContextRunner}. */
class PrivateEgressAutoConfigurationTest {
  static final RetryPolicy FAST =
      new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofSeconds(10), 3);

  private static TestRedis redis;
  private MockWebServer api;

  /** The environment the bean reads instead of the process environment. */
  private static PrivateEgressBuilderCustomizer env(Map<String, String> env) {
    return b -> b.environment(env).retryPolicy(FAST);
  }

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withAllowBeanDefinitionOverriding(true)
      .withConfiguration(AutoConfigurations.of(PrivateEgressAutoConfiguration.class,
          PrivateEgressHttpAutoConfiguration.class, PrivateEgressRedisAutoConfiguration.class))
      .withBean("testEnvironment", PrivateEgressBuilderCustomizer.class, () -> env(Map.of("NO_GCE_CHECK", "true")));

  @BeforeAll
  static void startRedis() {
    redis = TestRedis.start();
  }

  @AfterAll
  static void stopRedis() throws Exception {
    redis.close();
  }

  @BeforeEach
  void startApi() throws IOException {
    api = new MockWebServer();
    api.setServerSocketFactory(new NoDelayServerSocketFactory());
    api.start();
  }

  @AfterEach
  void stopApi() {
    api.close();
  }

  private String apiUrl() {
    return "http://my.api.private:" + api.getPort() + "/";
  }

  // ---------------------------------------------------------------- PrivateEgress and properties

  @Test
  void propertiesWinOverTheEnvironmentAndTheEnvironmentFillsTheRest() {
    runner.withBean("testEnvironment", PrivateEgressBuilderCustomizer.class,
            () -> env(Map.of("PRIVATE_EGRESS_MODE", "connector", "PRIVATE_EGRESS_TOKEN_HEADER", "Proxy-Authorization",
                "NO_GCE_CHECK", "true")))
        .withPropertyValues("private-egress.mode=direct-vpc", "private-egress.hosts=a.private=10.0.0.1,b.private=10.0.0.2",
            "private-egress.audiences=a.private=https://a.example.com", "private-egress.startup-grace=5s",
            "private-egress.redis.host=10.1.2.3", "private-egress.redis.port=6380")
        .run(ctx -> {
          PrivateEgress egress = ctx.getBean(PrivateEgress.class);
          assertThat(egress.config().declaredMode()).contains(EgressMode.DIRECT_VPC);
          assertThat(egress.config().tokenHeader()).isEqualTo("Proxy-Authorization"); // from the environment
          assertThat(egress.config().hostOverrides()).containsOnlyKeys("a.private", "b.private");
          assertThat(egress.config().audienceFor("a.private")).contains("https://a.example.com");
          assertThat(egress.config().audienceFor("b.private")).isEmpty();
          assertThat(egress.config().startupGrace()).isEqualTo(Duration.ofSeconds(5));
          assertThat(egress.config().redis()).hasValueSatisfying(r -> assertThat(r.address()).isEqualTo("10.1.2.3:6380"));
        });
  }

  @Test
  void withNoPropertyTheVariablesStillWork() {
    runner.withBean("testEnvironment", PrivateEgressBuilderCustomizer.class,
            () -> env(Map.of("PRIVATE_EGRESS_MODE", "connector", "NO_GCE_CHECK", "true")))
        .run(ctx -> assertThat(ctx.getBean(PrivateEgress.class).config().declaredMode()).contains(EgressMode.CONNECTOR));
  }

  @Test
  void aRedisUrlSetAsASpringPropertyUnderTheVariablesNameConfiguresTheBean() {
    // application.properties, --REDIS_URL= and the environment variable are all Spring properties: the
    // condition and the bean read the same one.
    runner.withPropertyValues("REDIS_URL=" + redis.url)
        .run(ctx -> assertThat(ctx.getBean(UnifiedJedis.class).ping()).isEqualTo("PONG"));
  }

  @Test
  void commandLineArgumentsAreReadLikeEveryOtherPropertySource() {
    runner.withInitializer(ctx -> ctx.getEnvironment().getPropertySources().addFirst(
            new org.springframework.core.env.SimpleCommandLinePropertySource(
                "--REDISHOST=127.0.0.1", "--REDISPORT=" + redis.port, "--private-egress.mode=connector")))
        .run(ctx -> {
          assertThat(ctx.getBean(PrivateEgress.class).config().declaredMode()).contains(EgressMode.CONNECTOR);
          assertThat(ctx.getBean(UnifiedJedis.class).ping()).isEqualTo("PONG");
        });
  }

  @Test
  void aBadValueUnderTheVariablesNameIsNamedAsWritten() {
    runner.withPropertyValues("REDISHOST=127.0.0.1", "REDISPORT=port").run(ctx -> {
      assertThat(ctx).hasFailed();
      Throwable cause = ctx.getStartupFailure();
      while (!(cause instanceof ConfigurationException) && cause.getCause() != null) {
        cause = cause.getCause();
      }
      assertThat(cause).isInstanceOf(ConfigurationException.class).hasMessageStartingWith("REDISPORT=port is invalid");
    });
  }

  @Test
  void aBadPropertyFailsStartUpNamingThePropertyTheVariableAndTheValue() {
    runner.withPropertyValues("private-egress.mode=sideways").run(ctx -> {
      assertThat(ctx).hasFailed();
      Throwable cause = ctx.getStartupFailure();
      while (!(cause instanceof ConfigurationException) && cause.getCause() != null) {
        cause = cause.getCause();
      }
      assertThat(cause).isInstanceOf(ConfigurationException.class)
          .hasMessageContaining("private-egress.mode (same as PRIVATE_EGRESS_MODE)=sideways")
          .hasMessageContaining("auto, direct-vpc, connector, none");
    });
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
      "private-egress.redis.port=\uFF16\uFF13\uFF17\uFF19 | private-egress.redis.port (same as REDISPORT)",
      "private-egress.redis.cluster=yes                        | private-egress.redis.cluster (same as REDIS_CLUSTER)",
      "private-egress.redis.iam-auth=1                         | private-egress.redis.iam-auth (same as REDIS_IAM_AUTH)",
      "private-egress.no-gce-check=on                          | private-egress.no-gce-check (same as NO_GCE_CHECK)",
  })
  void propertiesTakeOnlyWhatTheirVariablesTake(String property, String named) {
    // Spring's own converters would read full-width digits as 6379 and yes/on/1 as true.
    runner.withPropertyValues("private-egress.redis.host=127.0.0.1", property).run(ctx -> {
      assertThat(ctx).hasFailed();
      Throwable cause = ctx.getStartupFailure();
      while (!(cause instanceof ConfigurationException) && cause.getCause() != null) {
        cause = cause.getCause();
      }
      assertThat(cause).isInstanceOf(ConfigurationException.class).hasMessageContaining(named);
    });
  }

  @Test
  void aSecretInABadPropertyIsNotShown() {
    runner.withPropertyValues("private-egress.redis.url=redis://user:s3cret-pass@host:notaport").run(ctx -> {
      assertThat(ctx).hasFailed();
      assertThat(messages(ctx.getStartupFailure())).contains("private-egress.redis.url").doesNotContain("s3cret-pass");
    });
  }

  private static String messages(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      sb.append(c.getMessage()).append('\n');
    }
    return sb.toString();
  }

  @Test
  void nothingWithoutTheSdkOnTheClassPath() {
    runner.withClassLoader(new FilteredClassLoader(PrivateEgress.class))
        .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(PrivateEgress.class)
            .doesNotHaveBean(OkHttpClient.class).doesNotHaveBean(UnifiedJedis.class));
  }

  @Test
  void aUserPrivateEgressBeanWinsAndIsUsedByTheClients() {
    PrivateEgress mine = PrivateEgress.builder().environment(Map.of("NO_GCE_CHECK", "true"))
        .host("my.api.private", "127.0.0.1").build();
    runner.withBean(PrivateEgress.class, () -> mine).run(ctx -> {
      assertThat(ctx).getBean(PrivateEgress.class).isSameAs(mine);
      api.enqueue(new MockResponse.Builder().body("hello").build());
      assertThat(get(ctx.getBean(OkHttpClient.class), apiUrl())).isEqualTo("200 hello");
    });
  }

  @Test
  void everyEgressListenerBeanHearsTheEventsEvenWhenAnotherThrows() {
    List<String> heard = new ArrayList<>();
    runner.withBean("throwing", EgressListener.class, () -> new EgressListener() {
          @Override
          public void retryBudgetExhausted(String target) {
            throw new IllegalStateException("listener bug");
          }
        })
        .withBean("recording", EgressListener.class, () -> new EgressListener() {
          @Override
          public void retryBudgetExhausted(String target) {
            heard.add(target);
          }
        })
        .run(ctx -> {
          ctx.getBean(PrivateEgress.class).listener().retryBudgetExhausted("a.private:80");
          assertThat(heard).containsExactly("a.private:80");
        });
  }

  // ---------------------------------------------------------------- OkHttpClient

  @Test
  void okHttpClientComesFromPrivateHttpWithTheUsersCustomizersApplied() {
    List<String> seen = new ArrayList<>();
    runner.withPropertyValues("private-egress.hosts=my.api.private=127.0.0.1")
        .withBean(OkHttpClientBuilderCustomizer.class, () -> b -> b.callTimeout(Duration.ofSeconds(7))
            .addInterceptor(chain -> {
              seen.add(chain.request().url().host());
              return chain.proceed(chain.request());
            }))
        .run(ctx -> {
          OkHttpClient client = ctx.getBean(OkHttpClient.class);
          assertThat(PrivateHttp.retry(client)).isNotNull(); // made by PrivateHttp
          assertThat(client.callTimeoutMillis()).isEqualTo(7000);
          api.enqueue(new MockResponse.Builder().code(503).body("busy").build());
          api.enqueue(new MockResponse.Builder().body("hello").build());
          assertThat(get(client, apiUrl())).isEqualTo("200 hello");
          assertThat(api.getRequestCount()).isEqualTo(2); // the SDK retried the 503
          assertThat(seen).containsExactly("my.api.private");
        });
  }

  @Test
  void noOkHttpClientWithoutSdkHttp() {
    runner.withClassLoader(new FilteredClassLoader(PrivateHttp.class))
        .run(ctx -> assertThat(ctx).hasNotFailed().hasSingleBean(PrivateEgress.class)
            .doesNotHaveBean(OkHttpClient.class).doesNotHaveBean(ClientHttpRequestFactory.class)
            .doesNotHaveBean(RestClientCustomizer.class));
  }

  @Test
  void aUserOkHttpClientWinsAndTheRequestFactoryUsesIt() {
    OkHttpClient mine = new OkHttpClient();
    runner.withBean(OkHttpClient.class, () -> mine).run(ctx -> {
      assertThat(ctx).getBean(OkHttpClient.class).isSameAs(mine);
      assertThat(ctx.getBean(OkHttpClientHttpRequestFactory.class).client()).isSameAs(mine);
    });
  }

  // ---------------------------------------------------------------- RestClient and RestTemplate

  @Test
  void theRestClientCustomizerSendsThroughTheSdkClient() {
    runner.withPropertyValues("private-egress.hosts=my.api.private=127.0.0.1").run(ctx -> {
      RestClient.Builder builder = RestClient.builder();
      ctx.getBean("privateEgressRestClientCustomizer", RestClientCustomizer.class).customize(builder);
      api.enqueue(new MockResponse.Builder().code(503).build());
      api.enqueue(new MockResponse.Builder().body("via restclient").build());
      // my.api.private resolves only through the SDK's DNS override, and only the SDK retries a 503.
      assertThat(builder.build().get().uri(apiUrl()).retrieve().body(String.class)).isEqualTo("via restclient");
      assertThat(api.getRequestCount()).isEqualTo(2);
    });
  }

  @Test
  void theRestTemplateCustomizerSendsThroughTheSdkClient() {
    runner.withPropertyValues("private-egress.hosts=my.api.private=127.0.0.1").run(ctx -> {
      RestTemplate template = new RestTemplate();
      ctx.getBean("privateEgressRestTemplateCustomizer", RestTemplateCustomizer.class).customize(template);
      api.enqueue(new MockResponse.Builder().body("via resttemplate").build());
      assertThat(template.getForObject(apiUrl(), String.class)).isEqualTo("via resttemplate");
    });
  }

  @Test
  void thePropertyTurnsTheCustomizersOffButKeepsTheFactory() {
    runner.withPropertyValues("private-egress.rest-client.enabled=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(RestClientCustomizer.class).doesNotHaveBean(RestTemplateCustomizer.class)
            .hasBean("privateEgressClientHttpRequestFactory"));
  }

  @Test
  void noCustomizersWithoutSpringBootRestClient() {
    runner.withClassLoader(new FilteredClassLoader(RestClientCustomizer.class))
        .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(RestClientCustomizer.class)
            .doesNotHaveBean(RestTemplateCustomizer.class).hasSingleBean(OkHttpClient.class));
  }

  @Test
  void noRequestFactoryWithoutSpringWeb() {
    runner.withClassLoader(new FilteredClassLoader(ClientHttpRequestFactory.class))
        .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean("privateEgressClientHttpRequestFactory")
            .hasSingleBean(OkHttpClient.class));
  }

  // ---------------------------------------------------------------- UnifiedJedis

  @Test
  void unifiedJedisWhenARedisTargetIsConfigured() {
    runner.withPropertyValues("private-egress.redis.url=" + redis.url).run(ctx -> {
      UnifiedJedis jedis = ctx.getBean(UnifiedJedis.class);
      assertThat(jedis.incr("runner-counter")).isPositive();
      assertThat(PrivateRedis.retry(jedis)).isNotNull(); // made by PrivateRedis
    });
  }

  @Test
  void unifiedJedisFromTheRedisVariables() {
    // In an application the process environment is both a Spring property source (which the condition
    // reads) and what the PrivateEgress bean reads; here each gets the same two variables.
    Map<String, String> env = Map.of("REDISHOST", redis.host, "REDISPORT", Integer.toString(redis.port),
        "NO_GCE_CHECK", "true");
    runner.withBean("testEnvironment", PrivateEgressBuilderCustomizer.class, () -> env(env))
        .withPropertyValues("REDISHOST=" + redis.host, "REDISPORT=" + redis.port)
        .run(ctx -> assertThat(ctx.getBean(UnifiedJedis.class).ping()).isEqualTo("PONG"));
  }

  @Test
  void noUnifiedJedisWithoutARedisTarget() {
    runner.run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(UnifiedJedis.class));
  }

  @Test
  void noUnifiedJedisWithoutSdkRedis() {
    runner.withPropertyValues("private-egress.redis.url=" + redis.url)
        .withClassLoader(new FilteredClassLoader(PrivateRedis.class))
        .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(UnifiedJedis.class));
  }

  @Test
  void aUserUnifiedJedisWins() {
    runner.withPropertyValues("private-egress.redis.url=" + redis.url)
        .withBean("mine", UnifiedJedis.class, () -> (UnifiedJedis) JedisVersions.standaloneBuilder()
            .hostAndPort(new HostAndPort(redis.host, redis.port)).build())
        .run(ctx -> assertThat(ctx).hasSingleBean(UnifiedJedis.class).hasBean("mine"));
  }

  // ---------------------------------------------------------------- shutdown

  @Test
  void closingTheContextClosesTheClients() throws Exception {
    OkHttpClient[] client = new OkHttpClient[1];
    UnifiedJedis[] jedis = new UnifiedJedis[1];
    runner.withPropertyValues("private-egress.redis.url=" + redis.url, "private-egress.hosts=my.api.private=127.0.0.1")
        .run(ctx -> {
          client[0] = ctx.getBean(OkHttpClient.class);
          jedis[0] = ctx.getBean(UnifiedJedis.class);
          api.enqueue(new MockResponse.Builder().body("x").build());
          assertThat(get(client[0], apiUrl())).isEqualTo("200 x");
          assertThat(client[0].connectionPool().connectionCount()).isEqualTo(1);
          assertThat(jedis[0].ping()).isEqualTo("PONG");
          assertThat(redis.clients()).isGreaterThanOrEqualTo(1);
        });
    assertThat(client[0].dispatcher().executorService().isShutdown()).isTrue();
    assertThat(client[0].connectionPool().connectionCount()).isZero();
    assertThatThrownBy(() -> jedis[0].ping()).isInstanceOf(RuntimeException.class);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (redis.clients() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(redis.clients()).as("connections the server still holds").isZero();
  }

  static String get(OkHttpClient client, String url) throws IOException {
    try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
      return r.code() + " " + r.body().string();
    }
  }
}
