package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.internal.ConfigSource;
import dev.privateegress.internal.Hosts;
import dev.privateegress.internal.Util;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;

/**
 * Every configuration variable against 10,000 generated values: mutations of valid values, strings of
 * URL-special, control, invisible and non-ASCII characters (other scripts' digits, the Kelvin sign),
 * and secrets placed where the syntax puts a password. Each value is either accepted as documented or
 * rejected with a {@link ConfigurationException} that names the variable, holds no raw control
 * character, and shows no part of a secret.
 */
class ConfigPropertiesTest {
  /** Characters that break parsers: URL syntax, separators, controls, invisible and look-alike characters. */
  private static final String HOSTILE = "#?/@:%[]=,*._- +\t\n\r\u0000\u0007\u001b\u007f\u0085\u2028\u202e"
      + "\u200b\ufeff\uff16\u0663\u00e9\u212a\u0130\u0131";
  private static final String PLAIN = "abcxyzKLM0123456789";
  /** Every generated secret starts and ends with these, so a message holding any end of one is caught. */
  private static final String SECRET_HEAD = "Zq9";
  private static final String SECRET_TAIL = "Xk7";

  private static final int TRIES = 10_000;

  // --- one property per variable ------------------------------------------------------------------

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void mode(@ForAll("mode") String v) {
    check("PRIVATE_EGRESS_MODE", v, c -> assertThat(keyword(v)).isIn("auto", "direct-vpc", "connector", "none"));
  }

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void scope(@ForAll("scope") String v) {
    check("PRIVATE_EGRESS_SCOPE", v, c -> assertThat(keyword(v)).isIn("all-traffic", "private-ranges-only"));
  }

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void lookup(@ForAll("lookup") String v) {
    check("PRIVATE_EGRESS_LOOKUP", v, c -> assertThat(keyword(v)).isEqualTo(c.lookup().id()));
  }

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void tokenHeader(@ForAll("tokenHeader") String v) {
    check("PRIVATE_EGRESS_TOKEN_HEADER", v,
        c -> assertThat(keyword(v)).isEqualTo(c.tokenHeader().toLowerCase(Locale.ROOT)));
  }

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void redisIamAuth(@ForAll("bool") String v) {
    check("REDIS_IAM_AUTH", v, c -> assertThat(keyword(v)).isIn("true", "false"));
  }

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void redisCluster(@ForAll("bool") String v) {
    check("REDIS_CLUSTER", v, c -> assertThat(keyword(v)).isIn("true", "false"));
  }

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void noGceCheck(@ForAll("bool") String v) {
    check("NO_GCE_CHECK", v, c -> assertThat(c.noGceCheck()).isEqualTo(keyword(v).equals("true")));
  }

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void startupGrace(@ForAll("duration") String v) {
    check("PRIVATE_EGRESS_STARTUP_GRACE", v, c -> {
      assertThat(c.startupGrace()).isEqualTo(Duration.parse(stripped(v)));
      assertThat(c.startupGrace().isNegative()).isFalse();
      assertThat(Util.isPrintableAscii(stripped(v))).isTrue();
    });
  }

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void redisPort(@ForAll("port") String v) {
    check("REDISPORT", v, c -> {
      assertThat(stripped(v)).matches("[0-9]{1,5}");
      assertThat(Integer.parseInt(stripped(v))).isBetween(1, 65535);
    });
  }

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void metadataHost(@ForAll("metadataHost") String v) {
    check("GCE_METADATA_HOST", v, c -> {
      String hostPort = c.metadataHost().orElseThrow();
      URI uri = URI.create("http://" + hostPort + "/computeMetadata/v1/"); // how google-auth uses it
      assertThat(uri.getHost()).isNotNull();
      assertThat(Util.isPrintableAscii(hostPort)).isTrue();
      assertThat(hostPort).doesNotContain("@", " ", "/");
      assertThat(uri.getPort()).isBetween(-1, 65535).isNotZero();
    });
  }

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void hosts(@ForAll("hosts") String v) {
    check("PRIVATE_EGRESS_HOSTS", v, c -> c.hostOverrides().forEach((host, addresses) -> {
      assertThat(Hosts.isHostName(host, true)).as(host).isTrue();
      assertThat(host).isEqualTo(host.toLowerCase(Locale.ROOT));
      for (InetAddress a : addresses) {
        assertThat(Hosts.isIpLiteral(a.getHostAddress())).isTrue();
      }
    }));
  }

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void audiences(@ForAll("audiences") String v) {
    check("PRIVATE_EGRESS_AUDIENCES", v, c -> {
      long entries = List.of(stripped(v).split(",")).stream().filter(e -> !e.isBlank()).count();
      assertThat(c.audiences()).hasSize((int) entries); // a duplicate is never silently dropped
      c.audiences().forEach((host, audience) -> {
        String name = host.startsWith("*.") ? host.substring(2) : host;
        assertThat(Hosts.isHostName(name, true)).as(host).isTrue();
        if (host.startsWith("*.")) {
          assertThat(name).isNotIn("com", "net", "org", "co.uk", "github.io", "appspot.com", "a.run.app");
        }
        assertThat(audience).isNotBlank().doesNotContainAnyWhitespaces();
        assertThat(Util.hasControls(audience)).isFalse();
      });
    });
  }

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void redisHost(@ForAll("redisHost") String v) {
    check("REDISHOST", v, c -> {
      String host = c.redis().orElseThrow().host();
      assertThat(Hosts.isIpLiteral(host) || Hosts.isHostName(host, true)).as(host).isTrue();
    });
  }

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void redisHostWithCredentials(@ForAll("secret") String secret, @ForAll("redisHost") String host) {
    check("REDISHOST", ":" + secret + "@" + host, secret, c -> {
      throw new AssertionError("credentials in REDISHOST were accepted");
    });
  }

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void redisUrl(@ForAll("redisUrl") String v) {
    check("REDIS_URL", v, c -> {
      RedisSettings r = c.redis().orElseThrow();
      assertThat(Hosts.isIpLiteral(r.host()) || Hosts.isUriHostName(r.host())).as(r.host()).isTrue();
      URI uri = URI.create((r.tls() ? "rediss://" : "redis://") + r.address()); // what Jedis builds from it
      assertThat(uri.getHost()).isNotNull();
      assertThat(r.port()).isBetween(1, 65535);
      assertThat(r.database()).isNotNegative();
    });
  }

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void redisUrlWithSecret(@ForAll("secret") String secret, @ForAll("redisUrlAfterCredentials") String after,
      @ForAll("userInfoShape") int shape) {
    String userInfo = switch (shape) {
      case 0 -> "app:" + secret;
      case 1 -> ":" + secret;
      default -> secret.replace(":", "");
    };
    String v = "redis://" + userInfo + "@" + after;
    check("REDIS_URL", v, secret, c -> {
      RedisSettings r = c.redis().orElseThrow();
      if (secret.indexOf('%') < 0 && after.indexOf('@') < 0) {
        assertThat(r.password()).contains(shape == 2 ? secret.replace(":", "") : secret);
      }
      assertThat(r.toString()).doesNotContain(SECRET_HEAD, SECRET_TAIL);
    });
  }

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void redisAuth(@ForAll("secret") String secret, @ForAll("lineEnd") String end) {
    String v = secret + end;
    check("REDIS_AUTH", v, secret, c -> {
      assertThat(c.redis()).isEmpty(); // no host: nothing to connect to, but the value is still checked
      assertThat(Util.hasControls(secret)).isFalse();
    });
    Map<String, String> env = Map.of("REDISHOST", "10.0.0.3", "REDIS_AUTH", v);
    try {
      assertThat(parse(env).redis().orElseThrow().password()).contains(secret); // the line break is removed
    } catch (ConfigurationException e) {
      assertRejected("REDIS_AUTH", e, secret);
      assertThat(Util.hasControls(secret)).isTrue();
    }
  }

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void redisTlsCa(@ForAll("path") String v) {
    check("REDIS_TLS_CA", v, c -> assertThat(Files.isRegularFile(Path.of(stripped(v)))).isTrue());
  }

  // --- the checks ---------------------------------------------------------------------------------

  private static void check(String variable, String value, Consumer<EgressConfig> whenAccepted) {
    check(variable, value, null, whenAccepted);
  }

  private static void check(String variable, String value, String secret, Consumer<EgressConfig> whenAccepted) {
    Map<String, String> env = new HashMap<>();
    env.put(variable, value);
    EgressConfig c;
    try {
      c = parse(env);
    } catch (ConfigurationException e) {
      assertRejected(variable, e, secret);
      return;
    }
    if (!value.isBlank()) {
      whenAccepted.accept(c);
    }
    if (secret != null) {
      assertThat(c.toString()).doesNotContain(SECRET_HEAD, SECRET_TAIL);
    }
  }

  private static void assertRejected(String variable, ConfigurationException e, String secret) {
    String message = e.getMessage();
    assertThat(e.input()).isEqualTo(variable);
    assertThat(message).startsWith(variable);
    assertThat(Util.hasControls(message)).as("raw control character in: %s", message).isFalse();
    if (secret != null) {
      assertThat(message).doesNotContain(SECRET_HEAD, SECRET_TAIL, secret, Util.escapeControls(secret));
      assertThat(e.shownValue().orElse("")).doesNotContain(SECRET_HEAD, SECRET_TAIL);
    }
  }

  private static EgressConfig parse(Map<String, String> env) {
    return ConfigParser.parse(new ConfigSource(Map.of(), Map.of(), env));
  }

  private static String stripped(String v) {
    return v.strip();
  }

  private static String keyword(String v) {
    return stripped(v).toLowerCase(Locale.ROOT);
  }

  // --- generators ---------------------------------------------------------------------------------

  /** Valid values, each mutated by up to three edits (insert, delete or replace one character). */
  private static Arbitrary<String> mutated(String... valid) {
    Arbitrary<String> noise = Arbitraries.strings().withChars(HOSTILE + PLAIN).ofMinLength(0).ofMaxLength(24);
    Arbitrary<String> edited = Combinators.combine(Arbitraries.of(valid), Arbitraries.integers().between(0, 3),
        Arbitraries.longs()).as((v, edits, seed) -> edit(v, edits, new Random(seed)));
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, edited),
        net.jqwik.api.Tuple.of(2, noise),
        net.jqwik.api.Tuple.of(1, Arbitraries.strings().ofMaxLength(12))); // any UTF-16, surrogates included
  }

  private static String edit(String v, int edits, Random random) {
    StringBuilder b = new StringBuilder(v);
    String chars = HOSTILE + PLAIN;
    for (int i = 0; i < edits; i++) {
      int at = b.length() == 0 ? 0 : random.nextInt(b.length() + 1);
      char c = chars.charAt(random.nextInt(chars.length()));
      switch (random.nextInt(3)) {
        case 0 -> b.insert(at, c);
        case 1 -> { if (at < b.length()) b.deleteCharAt(at); }
        default -> { if (at < b.length()) b.setCharAt(at, c); }
      }
    }
    return b.toString();
  }

  @Provide
  Arbitrary<String> mode() {
    return mutated("auto", "direct-vpc", "connector", "none", "DIRECT-VPC", " none\n");
  }

  @Provide
  Arbitrary<String> scope() {
    return mutated("all-traffic", "private-ranges-only", "ALL-TRAFFIC");
  }

  @Provide
  Arbitrary<String> lookup() {
    return mutated("admin-api", "off", "OFF");
  }

  @Provide
  Arbitrary<String> tokenHeader() {
    return mutated("Authorization", "X-Serverless-Authorization", "proxy-authorization");
  }

  @Provide
  Arbitrary<String> bool() {
    return mutated("true", "false", "TRUE");
  }

  @Provide
  Arbitrary<String> duration() {
    return mutated("PT90S", "PT2M", "PT0S", "PT1.5S", "P1D", "-PT1S");
  }

  @Provide
  Arbitrary<String> port() {
    return mutated("6379", "6378", "1", "65535", "65536", "0");
  }

  @Provide
  Arbitrary<String> metadataHost() {
    return mutated("127.0.0.1:8089", "metadata.google.internal", "[::1]:8080", "[fd00::1]", "169.254.169.254:80");
  }

  @Provide
  Arbitrary<String> hosts() {
    return mutated("my.api.private=127.0.0.1", "a.private=10.0.0.3,a.private=::1", "b_c.private=[fd00::5]");
  }

  @Provide
  Arbitrary<String> audiences() {
    return mutated("my.api.private=https://api.example.com", "*.corp.private=123.apps.googleusercontent.com",
        "*.example.com=aud,x.example.com=aud2", "*.co.uk=x", "a.b=x,A.B.=y");
  }

  @Provide
  Arbitrary<String> redisHost() {
    return mutated("10.0.0.3", "fd00::3", "[fd00::3]", "my_redis.internal", "redis.example.com");
  }

  @Provide
  Arbitrary<String> redisUrl() {
    return mutated("redis://10.0.0.3:6379", "rediss://app:pw@10.0.0.3:6378/2", "redis://[fd00::3]:6379/0",
        "redis://:pw@redis.example.com", "REDIS://host");
  }

  @Provide
  Arbitrary<String> redisUrlAfterCredentials() {
    return mutated("10.0.0.3:6379", "10.0.0.3", "[fd00::3]:6378/1", "redis.example.com:6380/15", "host/0");
  }

  @Provide
  Arbitrary<Integer> userInfoShape() {
    return Arbitraries.integers().between(0, 2);
  }

  @Provide
  Arbitrary<String> secret() {
    return Arbitraries.strings().withChars(HOSTILE + PLAIN).ofMinLength(0).ofMaxLength(16)
        .map(s -> SECRET_HEAD + s + SECRET_TAIL);
  }

  @Provide
  Arbitrary<String> lineEnd() {
    return Arbitraries.of("", "\n", "\r\n", "\n\n");
  }

  @Provide
  Arbitrary<String> path() {
    String pem = Path.of("src/test/resources/test-ca.pem").toAbsolutePath().toString();
    return mutated(pem, "/no/such/ca.pem", "/tmp", "relative.pem");
  }
}
