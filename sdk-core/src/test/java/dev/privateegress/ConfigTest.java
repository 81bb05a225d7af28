package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigTest {

  private static EgressConfig config(Map<String, String> env) {
    return PrivateEgress.builder().environment(env).build().config();
  }

  private static ConfigurationException failure(Map<String, String> env) {
    try {
      config(env);
    } catch (ConfigurationException e) {
      return e;
    }
    throw new AssertionError("expected a ConfigurationException for " + env);
  }

  @Test
  void defaults_whenNothingIsSet() {
    EgressConfig c = config(Map.of());
    assertThat(c.declaredMode()).isEmpty();
    assertThat(c.declaredScope()).isEmpty();
    assertThat(c.adminApiLookup()).isTrue();
    assertThat(c.hostOverrides()).isEmpty();
    assertThat(c.audiences()).isEmpty();
    assertThat(c.tokenHeader()).isEqualTo("Authorization");
    assertThat(c.startupGrace()).isEqualTo(Duration.ofSeconds(90));
    assertThat(c.redis()).isEmpty();
    assertThat(c.metadataHost()).isEmpty();
    assertThat(c.noGceCheck()).isFalse();
  }

  @Test
  void everyVariable_isParsed() throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("PRIVATE_EGRESS_MODE", "direct-vpc");
    env.put("PRIVATE_EGRESS_SCOPE", "private-ranges-only");
    env.put("PRIVATE_EGRESS_LOOKUP", "off");
    env.put("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1, my.api.private=::1,Cache.Private.=10.0.0.3");
    env.put("PRIVATE_EGRESS_AUDIENCES", "my.api.private=https://api.example.com,*.corp.private=123.apps.googleusercontent.com");
    env.put("PRIVATE_EGRESS_TOKEN_HEADER", "x-serverless-authorization");
    env.put("PRIVATE_EGRESS_STARTUP_GRACE", "PT2M");
    env.put("REDISHOST", "10.0.0.3");
    env.put("REDISPORT", "6378");
    env.put("REDIS_AUTH", "s3cret-auth-string");
    env.put("REDIS_CLUSTER", "TRUE");
    env.put("GCE_METADATA_HOST", "127.0.0.1:8089");
    env.put("NO_GCE_CHECK", "true");
    EgressConfig c = config(env);
    assertThat(c.declaredMode()).contains(EgressMode.DIRECT_VPC);
    assertThat(c.declaredScope()).contains(EgressScope.PRIVATE_RANGES_ONLY);
    assertThat(c.adminApiLookup()).isFalse();
    assertThat(c.hostOverrides().get("my.api.private"))
        .containsExactly(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("::1"));
    assertThat(c.hostOverrides().get("cache.private")).containsExactly(InetAddress.getByName("10.0.0.3"));
    assertThat(c.tokenHeader()).isEqualTo("X-Serverless-Authorization");
    assertThat(c.startupGrace()).isEqualTo(Duration.ofMinutes(2));
    RedisSettings r = c.redis().orElseThrow();
    assertThat(r.host()).isEqualTo("10.0.0.3");
    assertThat(r.port()).isEqualTo(6378);
    assertThat(r.password()).contains("s3cret-auth-string");
    assertThat(r.cluster()).isTrue();
    assertThat(r.tls()).isFalse();
    assertThat(c.metadataHost()).contains("127.0.0.1:8089");
    assertThat(c.noGceCheck()).isTrue();
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', value = {
      "PRIVATE_EGRESS_MODE          | direct        | allowed: auto, direct-vpc, connector, none",
      "PRIVATE_EGRESS_SCOPE         | private       | allowed: all-traffic, private-ranges-only",
      "PRIVATE_EGRESS_LOOKUP        | yes           | allowed: admin-api, off",
      "PRIVATE_EGRESS_HOSTS         | foo           | is not host=ip",
      "PRIVATE_EGRESS_HOSTS         | a=not-an-ip   | is not an IP address",
      "PRIVATE_EGRESS_HOSTS         | a=10.0.0.300  | is not an IP address",
      "PRIVATE_EGRESS_HOSTS         | *.corp.private=10.0.0.5 | not wildcards",
      "PRIVATE_EGRESS_AUDIENCES     | my.api.private| is not host=audience",
      "PRIVATE_EGRESS_TOKEN_HEADER  | Cookie        | allowed: Authorization, X-Serverless-Authorization, Proxy-Authorization",
      "PRIVATE_EGRESS_STARTUP_GRACE | 90            | ISO-8601 duration such as PT90S",
      "PRIVATE_EGRESS_STARTUP_GRACE | -PT1S         | must not be negative",
      "REDISPORT                    | abc           | not a port number",
      "REDISPORT                    | 70000         | out of range; expected 1-65535",
      "REDIS_URL                    | http://x      | scheme must be redis:// or rediss://",
      "REDIS_URL                    | redis://      | no host",
      "REDIS_URL                    | redis://h:1/x | database number",
      "REDIS_URL                    | redis://h:abc | the port 'abc' is not a number",
      "REDIS_URL                    | redis://my_redis:6379 | 'my_redis' is not a valid host name",
      "REDIS_TLS_CA                 | /missing.pem  | no such file",
      "REDIS_IAM_AUTH               | maybe         | allowed: true, false",
      "REDIS_CLUSTER                | 1             | allowed: true, false",
      "GCE_METADATA_HOST            | http://127.0.0.1:8080 | host[:port] only",
      "GCE_METADATA_HOST            | 127.0.0.1:99999 | out of range",
      "NO_GCE_CHECK                 | 1             | allowed: true, false",
  })
  void badValue_namesVariableValueAndWhatIsAllowed(String variable, String value, String allowed) {
    Map<String, String> env = new HashMap<>();
    env.put(variable, value);
    if (variable.equals("REDISPORT")) {
      env.put("REDISHOST", "10.0.0.3");
    }
    ConfigurationException e = failure(env);
    assertThat(e.input()).isEqualTo(variable);
    assertThat(e.getMessage()).startsWith(variable + "=" + value + " is invalid: ").contains(allowed);
  }

  @Test
  void badPort_isRejectedEvenWithoutHost() {
    assertThat(failure(Map.of("REDISPORT", "abc")).getMessage()).startsWith("REDISPORT=abc");
  }

  @Test
  void redisUrl_winsOverHostAndPort_andCarriesUserPasswordDatabase() {
    EgressConfig c = config(Map.of(
        "REDIS_URL", "redis://app:p%40ss@10.1.2.3:6380/2",
        "REDISHOST", "10.9.9.9",
        "REDISPORT", "6379"));
    RedisSettings r = c.redis().orElseThrow();
    assertThat(r.host()).isEqualTo("10.1.2.3");
    assertThat(r.port()).isEqualTo(6380);
    assertThat(r.username()).contains("app");
    assertThat(r.password()).contains("p@ss");
    assertThat(r.database()).isEqualTo(2);
  }

  @Test
  void redissUrl_enablesTls_andRedisAuthFillsAMissingPassword() {
    RedisSettings r = config(Map.of("REDIS_URL", "rediss://10.1.2.3:6378", "REDIS_AUTH", "auth-string"))
        .redis().orElseThrow();
    assertThat(r.tls()).isTrue();
    assertThat(r.password()).contains("auth-string");
  }

  @Test
  void tlsCa_enablesTlsForRedisHost(@TempDir Path dir) throws Exception {
    Path pem = Files.copy(Path.of(ConfigTest.class.getResource("/test-ca.pem").toURI()), dir.resolve("server-ca.pem"));
    RedisSettings r = config(Map.of("REDISHOST", "10.0.0.3", "REDISPORT", "6378",
        "REDIS_TLS_CA", pem.toString())).redis().orElseThrow();
    assertThat(r.tls()).isTrue();
    assertThat(r.caFile()).contains(pem);
  }

  @Test
  void tlsCa_thatHoldsNoCertificateOrIsADirectory_failsAtConfiguration(@TempDir Path dir) throws Exception {
    Path junk = Files.writeString(dir.resolve("server-ca.pem"), "hello, not a certificate\n");
    ConfigurationException e = failure(Map.of("REDISHOST", "10.0.0.3", "REDIS_TLS_CA", junk.toString()));
    assertThat(e.input()).isEqualTo("REDIS_TLS_CA");
    assertThat(e.getMessage()).contains(junk.toString()).contains("BEGIN CERTIFICATE");
    assertThat(failure(Map.of("REDISHOST", "10.0.0.3", "REDIS_TLS_CA", dir.toString())).getMessage())
        .contains("a directory, not a file");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "10.0.0.3:6378 | put the port in REDISPORT",
      "a b           | not a host name",
      "host!         | not a host name"})
  void redisHost_thatIsNotAHost_failsAtConfiguration(String host, String problem) {
    ConfigurationException e = failure(Map.of("REDISHOST", host));
    assertThat(e.input()).isEqualTo("REDISHOST");
    assertThat(e.getMessage()).contains(host).contains(problem);
    assertThat(config(Map.of("REDISHOST", "my_redis.internal")).redis().orElseThrow().host())
        .isEqualTo("my_redis.internal");
    assertThat(config(Map.of("REDISHOST", "fd00::3")).redis().orElseThrow().host()).isEqualTo("fd00::3");
  }

  @Test
  void redisUrlWithoutScheme_isNotShown_becauseItMayBeAPassword() {
    ConfigurationException e = failure(Map.of("REDIS_URL", "BadIn-S3cr3t-YYY2"));
    assertThat(e.input()).isEqualTo("REDIS_URL");
    assertThat(e.getMessage()).doesNotContain("S3cr3t").contains("redis://");
    assertThat(e.shownValue()).hasValueSatisfying(v -> assertThat(v).doesNotContain("S3cr3t"));
  }

  @Test
  void iamAuthAndAuthString_areExclusive_andTheSecretIsMasked() {
    ConfigurationException e = failure(Map.of("REDISHOST", "10.0.0.3", "REDIS_AUTH", "topsecret-value",
        "REDIS_IAM_AUTH", "true"));
    assertThat(e.input()).isEqualTo("REDIS_AUTH");
    assertThat(e.getMessage()).doesNotContain("topsecret-value").contains("****");
  }

  @Test
  void passwordInBadRedisUrl_isMaskedInTheMessage() {
    ConfigurationException e = failure(Map.of("REDIS_URL", "http://user:hunter2@host:1"));
    assertThat(e.getMessage()).doesNotContain("hunter2").contains("http://user:****@host:1");
  }

  @Test
  void environmentToString_masksSecrets() {
    Map<String, String> env = Map.of("REDIS_AUTH", "auth-1234", "REDIS_URL", "redis://app:hunter2@10.0.0.3:6379",
        "REDISHOST", "10.0.0.3", "PRIVATE_EGRESS_TOKEN_HEADER", "Authorization");
    Map<String, String> seen = PrivateEgress.builder().environment(env).build().environment();
    assertThat(seen).isEqualTo(env); // the values themselves are untouched
    assertThat(seen.toString()).doesNotContain("auth-1234").doesNotContain("hunter2")
        .contains("REDIS_AUTH=****", "redis://app:****@10.0.0.3:6379", "REDISHOST=10.0.0.3",
            "PRIVATE_EGRESS_TOKEN_HEADER=Authorization");
  }

  @Test
  void toString_masksSecrets() {
    String s = config(Map.of("REDIS_URL", "redis://default:hunter2@10.0.0.3:6379")).toString();
    assertThat(s).doesNotContain("hunter2").contains("password=****");
    assertThat(PrivateEgress.builder().redisHost("10.0.0.3").redisAuth("auth-1234").build().toString())
        .doesNotContain("auth-1234");
  }

  @Test
  void systemProperty_winsOverEnvironment_andBuilderWinsOverBoth() {
    Properties p = new Properties();
    p.setProperty("private.egress.mode", "connector");
    EgressConfig fromProperty = PrivateEgress.builder()
        .environment(Map.of("PRIVATE_EGRESS_MODE", "none")).systemProperties(p).build().config();
    assertThat(fromProperty.declaredMode()).contains(EgressMode.CONNECTOR);
    EgressConfig fromBuilder = PrivateEgress.builder()
        .environment(Map.of("PRIVATE_EGRESS_MODE", "none")).systemProperties(p).mode("direct-vpc").build().config();
    assertThat(fromBuilder.declaredMode()).contains(EgressMode.DIRECT_VPC);
  }

  @Test
  void badSystemProperty_isNamedByItsPropertyName() {
    Properties p = new Properties();
    p.setProperty("redisport", "http");
    ConfigurationException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigurationException.class,
        () -> PrivateEgress.builder().systemProperties(p).build());
    assertThat(e.input()).isEqualTo("redisport");
    assertThat(e.getMessage()).startsWith("redisport=http is invalid");
  }

  @Test
  void builderSetters_matchTheVariables() {
    EgressConfig c = PrivateEgress.builder()
        .mode("none").scope("all-traffic").lookup("off")
        .host("my.api.private", "127.0.0.1")
        .audience("my.api.private", "https://aud")
        .tokenHeader("Proxy-Authorization")
        .startupGrace(Duration.ZERO)
        .redisUrl("redis://127.0.0.1:6390")
        .build().config();
    assertThat(c.declaredMode()).contains(EgressMode.NONE);
    assertThat(c.declaredScope()).contains(EgressScope.ALL_TRAFFIC);
    assertThat(c.hostOverrides()).containsKey("my.api.private");
    assertThat(c.audienceFor("my.api.private")).contains("https://aud");
    assertThat(c.tokenHeader()).isEqualTo("Proxy-Authorization");
    assertThat(c.startupGrace()).isZero();
    assertThat(c.redis().orElseThrow().port()).isEqualTo(6390);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(nullValues = "NONE", value = {
      "my.api.private, https://api.example.com",
      "MY.API.PRIVATE., https://api.example.com",
      "a.corp.private, 123.apps.googleusercontent.com",
      "deep.b.corp.private, 123.apps.googleusercontent.com",
      "corp.private, NONE",
      "svc-abc-uc.a.run.app, https://svc-abc-uc.a.run.app",
      "run.app, NONE",
      "example.com, NONE",
      "evilrun.app, NONE",
      "my.api.private.evil.com, NONE",
  })
  void audienceFor_onlyMapsListedHostsAndRunApp(String host, String expected) {
    EgressConfig c = config(Map.of("PRIVATE_EGRESS_AUDIENCES",
        "my.api.private=https://api.example.com,*.corp.private=123.apps.googleusercontent.com"));
    assertThat(c.audienceFor(host).orElse(null)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} over {1} -> {2}")
  @CsvSource(nullValues = "NONE", value = {
      "svc-abc-uc.a.run.app, true, https://svc-abc-uc.a.run.app",
      "svc-abc-uc.a.run.app, false, NONE",
      "mapped.a.run.app, false, https://mapped",
      "x.wild.run.app, false, https://wild",
      "my.api.private, false, https://api.example.com",
      "example.com, true, NONE",
  })
  void implicitRunAppHosts_getTokensOverHttpsOnly(String host, boolean tls, String expected) {
    EgressConfig c = config(Map.of("PRIVATE_EGRESS_AUDIENCES",
        "my.api.private=https://api.example.com,mapped.a.run.app=https://mapped,*.wild.run.app=https://wild"));
    assertThat(c.audienceFor(host, tls).orElse(null)).isEqualTo(expected);
  }

  @Test
  void longestWildcardSuffixWins() {
    EgressConfig c = config(Map.of("PRIVATE_EGRESS_AUDIENCES", "*.private=wide,*.b.private=narrow"));
    assertThat(c.audienceFor("x.b.private")).contains("narrow");
    assertThat(c.audienceFor("x.c.private")).contains("wide");
  }

  @Test
  void propertyName_isLowerCaseWithDots() {
    assertThat(EgressConfig.propertyName("PRIVATE_EGRESS_MODE")).isEqualTo("private.egress.mode");
    assertThat(EgressConfig.propertyName("REDISHOST")).isEqualTo("redishost");
  }
}
