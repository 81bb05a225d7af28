package dev.privateegress.samples.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.samples.testing.HostileStrings;
import dev.privateegress.samples.testing.SampleProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Hostile strings (line breaks, ANSI escapes, controls, separators, floods) in every place a caller writes a
 * value the relay logs: the issuer, audience and key id of a token, the e-mail of a signed token, the Pub/Sub
 * message id. Checked against the relay's real log output: one line per refusal, nothing raw, bounded.
 */
class RelayLogForgingIT {
  private static final Path JAR = Path.of(System.getProperty("sample.jar", "target/pubsub-relay.jar"));
  private static final String AUD = "https://relay-abc123-uc.a.run.app/";
  private static TestTokens tokens;
  private static RecordingTarget target;
  private static SampleProcess relay;

  @BeforeContainer
  static void start() throws Exception {
    tokens = new TestTokens();
    target = new RecordingTarget();
    relay = SampleProcess.start(JAR, Map.of(
        "RELAY_TARGET_URL", "http://127.0.0.1:" + target.port() + "/events",
        "RELAY_PUSH_AUDIENCE", AUD,
        "RELAY_PUSH_SERVICE_ACCOUNT", TestTokens.PUSH_ACCOUNT,
        "RELAY_PUSH_CERTS_URL", tokens.certsUrl()));
    // The first request also logs the servlet's initialisation: make it before the property counts lines.
    RawHttp.post(relay.port, "Content-Length: 0", new byte[0], 30_000);
  }

  @AfterContainer
  static void stop() {
    if (relay != null) {
      relay.close();
    }
    target.close();
    tokens.close();
  }

  enum Place { ISSUER, AUDIENCE, KEY_ID, EMAIL, MESSAGE_ID }

  @Provide
  Arbitrary<String> hostile() {
    return HostileStrings.any(5000);
  }

  @Provide
  Arbitrary<Place> place() {
    return Arbitraries.of(Place.class);
  }

  @Property(tries = 150)
  void aCallersValueNeverForgesALogLineOrFloodsTheLog(@ForAll("hostile") String value, @ForAll("place") Place place)
      throws Exception {
    Map<String, Object> claims = TestTokens.pushClaims(AUD);
    String token;
    String body = "{\"message\":{\"messageId\":\"1\"}}";
    switch (place) {
      case ISSUER -> {
        claims.put("iss", value);
        token = tokens.sign(claims);
      }
      case AUDIENCE -> {
        claims.put("aud", value);
        token = tokens.sign(claims);
      }
      case KEY_ID -> token = TestTokens.unsigned("{\"alg\":\"RS256\",\"kid\":" + TestTokens.jsonString(value) + "}",
          new String(TestTokens.json(claims), StandardCharsets.UTF_8), "AAAA");
      case EMAIL -> {
        claims.put("email", value);
        token = tokens.sign(claims);
      }
      default -> {
        token = tokens.sign(claims);
        body = "{\"message\":{\"messageId\":" + TestTokens.jsonString(value) + "}}";
      }
    }
    int before = relay.output().length();
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    RawHttp.Answer a = RawHttp.post(relay.port, "Authorization: Bearer " + token + "\r\nContent-Type: application/json"
        + "\r\nContent-Length: " + b.length, b, 30_000);
    String written = relay.output().substring(before);
    if (a.status() == 204) {
      // a value that is legitimately acceptable where it was put (e.g. a short printable message id)
      assertThat(written).isEmpty();
      return;
    }
    assertThat(a.status()).as(a.head() + a.body()).isIn(400, 401, 403);
    assertThat(a.body()).matches(RelayFrontDoorIT.FIXED).doesNotContain(HostileStrings.FORGED);
    List<String> lines = written.lines().toList();
    assertThat(lines).as(written).hasSize(1);
    String line = lines.get(0);
    assertThat(line).matches("\\d{4}-\\d\\d-\\d\\dT.* WARN .*: request [0-9a-f]{12}: refused \\(.*");
    assertThat(line.length()).isLessThan(800);
    assertThat(line.codePoints()).allSatisfy(cp -> assertThat(Character.getType(cp))
        .as("U+%04X", cp).isNotIn((int) Character.CONTROL, (int) Character.FORMAT, (int) Character.LINE_SEPARATOR,
            (int) Character.PARAGRAPH_SEPARATOR, (int) Character.SURROGATE));
    assertThat(written).endsWith("\n").doesNotContain("\r");
  }
}
