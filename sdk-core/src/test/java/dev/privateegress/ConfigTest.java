package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.internal.ConfigSource;
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
      "REDIS_URL                    | redis://h:1/9x | database number",
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
  void hugeValue_isShortenedInTheMessage() {
    String huge = "x".repeat(100_000);
    ConfigurationException e = failure(Map.of("PRIVATE_EGRESS_MODE", huge));
    assertThat(e.getMessage())
        .startsWith("PRIVATE_EGRESS_MODE=xxx")
        .contains("(100000 characters)")
        .contains("allowed: auto, direct-vpc, connector, none")
        .hasSizeLessThan(400);
    assertThat(e.shownValue().orElseThrow()).hasSizeLessThan(200);
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
        .environment(Map.of("PRIVATE_EGRESS_MODE", "none")).systemProperties(p).mode(EgressMode.DIRECT_VPC).build().config();
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
        .mode(EgressMode.NONE).scope(EgressScope.ALL_TRAFFIC).lookup(LookupMode.OFF)
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
      "x.wild.private, false, https://wild",
      "my.api.private, false, https://api.example.com",
      "example.com, true, NONE",
  })
  void implicitRunAppHosts_getTokensOverHttpsOnly(String host, boolean tls, String expected) {
    EgressConfig c = config(Map.of("PRIVATE_EGRESS_AUDIENCES",
        "my.api.private=https://api.example.com,mapped.a.run.app=https://mapped,*.wild.private=https://wild"));
    assertThat(c.audienceFor(host, tls).orElse(null)).isEqualTo(expected);
  }

  @Test
  void ipv6LiteralHostsAreWrittenInBrackets() {
    EgressConfig c = config(Map.of(
        "PRIVATE_EGRESS_AUDIENCES", "[::1]=https://loopback,[FD00:0:0:0:0:0:0:5]=https://ula",
        "PRIVATE_EGRESS_HOSTS", "[::1]=127.0.0.1"));
    // keys as OkHttp's HttpUrl.host() gives them: short form, lower case, no brackets
    assertThat(c.audienceFor("::1")).contains("https://loopback");
    assertThat(c.audienceFor("fd00::5")).contains("https://ula");
    assertThat(failure(Map.of("PRIVATE_EGRESS_AUDIENCES", "::1=https://loopback")).getMessage())
        .contains("PRIVATE_EGRESS_AUDIENCES").contains("write an IPv6 address in brackets")
        .contains("[::1]=https://loopback");
    assertThat(failure(Map.of("PRIVATE_EGRESS_HOSTS", "fd00::5=10.0.0.5")).getMessage())
        .contains("PRIVATE_EGRESS_HOSTS").contains("[fd00::5]=10.0.0.5");
  }

  @Test
  void longestWildcardSuffixWins() {
    EgressConfig c = config(Map.of("PRIVATE_EGRESS_AUDIENCES", "*.private=wide,*.b.private=narrow"));
    assertThat(c.audienceFor("x.b.private")).contains("narrow");
    assertThat(c.audienceFor("x.c.private")).contains("wide");
  }

  @Test
  void propertyName_isLowerCaseWithDots() {
    assertThat(ConfigSource.propertyName("PRIVATE_EGRESS_MODE")).isEqualTo("private.egress.mode");
    assertThat(ConfigSource.propertyName("REDISHOST")).isEqualTo("redishost");
  }

  // --- hostile values ---------------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "redis://user:Tr0ub4dor#?/x@10.0.0.3:6379/1 | Tr0ub4dor#?/x",
      "redis://:p@ss/w?rd#@10.0.0.3                | p@ss/w?rd#",
      "rediss://Tr0ub4dor@10.0.0.3:6378           | Tr0ub4dor"})
  void redisUrlPassword_mayHoldUrlSyntax_becauseTheUserInfoEndsAtTheLastAt(String url, String password) {
    RedisSettings r = config(Map.of("REDIS_URL", url)).redis().orElseThrow();
    assertThat(r.password()).contains(password);
    assertThat(r.host()).isEqualTo("10.0.0.3");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "redis://user:Tr0ub4dor#?/x@10.0.0.3:abc    | the port is not a number",
      "redis://user:Tr0ub4dor@10.0.0.3:6379?x=1   | query parameters",
      "redis://:Tr0ub4dor                          | no host",
      "redis://user:Tr0ub4dor                      | the port is not a number",
      "redis://user:Tr0ub4dor%zz@10.0.0.3          | write a literal '%' as %25",
      "http://user:Tr0ub4dor@10.0.0.3              | scheme must be",
      "redis://user:Tr0ub4dor@bad_host:1           | not a valid host name",
      "redis://Tr0ub@4dor@/:x@10.0.0.3             | percent-encode it as %40"})
  void redisUrlErrors_showNoPartOfThePassword(String url, String problem) {
    ConfigurationException e = failure(Map.of("REDIS_URL", url));
    assertThat(e.input()).isEqualTo("REDIS_URL");
    assertThat(e.getMessage()).contains(problem).doesNotContain("Tr0ub4dor").doesNotContain("ub4");
  }

  @Test
  void redisHostWithCredentials_isRejected_withTheCredentialsMasked() {
    ConfigurationException e = failure(Map.of("REDISHOST", ":secret@10.0.0.3"));
    assertThat(e.input()).isEqualTo("REDISHOST");
    assertThat(e.getMessage()).doesNotContain("secret").contains("REDISHOST=****@10.0.0.3", "REDIS_AUTH");
  }

  @Test
  void redisAuth_losesTheTrailingLineBreakOfAMountedSecret_butNotItsSpaces() {
    assertThat(config(Map.of("REDISHOST", "10.0.0.3", "REDIS_AUTH", "auth-string\n")).redis().orElseThrow()
        .password()).contains("auth-string");
    assertThat(config(Map.of("REDISHOST", "10.0.0.3", "REDIS_AUTH", "auth-string\r\n")).redis().orElseThrow()
        .password()).contains("auth-string");
    assertThat(config(Map.of("REDISHOST", "10.0.0.3", "REDIS_AUTH", " a b ")).redis().orElseThrow()
        .password()).contains(" a b ");
    ConfigurationException e = failure(Map.of("REDISHOST", "10.0.0.3", "REDIS_AUTH", "Tr0ub\u0000ador"));
    assertThat(e.input()).isEqualTo("REDIS_AUTH");
    assertThat(e.getMessage()).doesNotContain("Tr0ub").doesNotContain("ador").contains("****");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "REDISPORT         | \uff16\uff13\uff17\uff19",
      "REDISPORT         | \u0663\u0663\u0663",
      "REDISPORT         | +6379",
      "GCE_METADATA_HOST | a b c",
      "GCE_METADATA_HOST | [::1]:99999",
      "GCE_METADATA_HOST | user@evil.com:80",
      "GCE_METADATA_HOST | ::1",
      "GCE_METADATA_HOST | host:\uff18\uff10",
      "PRIVATE_EGRESS_AUDIENCES | *.com=aud",
      "PRIVATE_EGRESS_AUDIENCES | *.github.io=aud",
      "PRIVATE_EGRESS_AUDIENCES | *.co.uk=aud",
      "PRIVATE_EGRESS_AUDIENCES | a.example.com=x,A.Example.Com.=y",
      "PRIVATE_EGRESS_AUDIENCES | \u212a.example.com=x",
      "PRIVATE_EGRESS_TOKEN_HEADER | Author\u0131zation",
      "PRIVATE_EGRESS_MODE | n\u200bone"})
  void hostileValue_isRejected(String variable, String value) {
    Map<String, String> env = new HashMap<>(Map.of(variable, value));
    ConfigurationException e = failure(env);
    assertThat(e.input()).isEqualTo(variable);
  }

  @Test
  void acceptedNeighboursOfTheHostileValues() {
    assertThat(config(Map.of("GCE_METADATA_HOST", "[::1]:8080")).metadataHost()).contains("[::1]:8080");
    assertThat(config(Map.of("GCE_METADATA_HOST", "metadata.google.internal")).metadataHost()).isPresent();
    assertThat(config(Map.of("PRIVATE_EGRESS_AUDIENCES", "*.corp.example.co.uk=aud,*.private=x")).audiences())
        .containsKeys("*.corp.example.co.uk", "*.private");
    assertThat(config(Map.of("REDISHOST", "10.0.0.3", "REDISPORT", " 6378\n")).redis().orElseThrow().port())
        .isEqualTo(6378);
  }

  @Test
  void aNewlineInAValue_cannotForgeALogLine() {
    ConfigurationException e = failure(Map.of("PRIVATE_EGRESS_MODE", "auto\n2026-01-01 INFO all good"));
    assertThat(e.getMessage()).doesNotContain("\n").contains("auto\\n2026-01-01 INFO all good");
    assertThat(e.shownValue()).contains("auto\\n2026-01-01 INFO all good");
    assertThat(failure(Map.of("PRIVATE_EGRESS_HOSTS", "a.private=10.0.0.1\rb=\u202e")).getMessage())
        .doesNotContain("\r").doesNotContain("\u202e");
  }

  @Test
  void aNulInTheCaPath_isAConfigurationError() {
    ConfigurationException e = failure(Map.of("REDISHOST", "10.0.0.3", "REDIS_TLS_CA", "/etc/ca\u0000.pem"));
    assertThat(e.input()).isEqualTo("REDIS_TLS_CA");
    assertThat(e.getMessage()).contains("\\u0000").doesNotContain("\u0000");
  }

  @Test
  void builderEnums_refuseDetectionOnlyValues() {
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> PrivateEgress.builder().mode(EgressMode.VPC));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> PrivateEgress.builder().scope(EgressScope.UNKNOWN));
    assertThat(PrivateEgress.builder().environment(Map.of("PRIVATE_EGRESS_MODE", "none")).mode(EgressMode.UNKNOWN)
        .build().config().declaredMode()).isEmpty();
  }
}
