package dev.privateegress.samples.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.samples.testing.SampleProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code java -Xmx64m -jar pubsub-relay.jar} as an anonymous caller meets it: hand-written requests with
 * forged tokens, large and stalled bodies, lenient JSON. Keys are made by the test and served on loopback; a
 * recording target counts what was forwarded.
 */
class RelayFrontDoorIT {
  private static final Path JAR = Path.of(System.getProperty("sample.jar", "target/pubsub-relay.jar"));
  private static final String AUD = "https://relay-abc123-uc.a.run.app/";
  private static final int CAP = 2_000_000;
  private static final String PUSH = "{\"message\":{\"data\":\"SGVsbG8=\",\"messageId\":\"136969346945\"},"
      + "\"subscription\":\"projects/p/subscriptions/s\"}";
  /** A refusal: a fixed reason and a request id, nothing else. */
  static final String FIXED = "[\\x20-\\x7e]{5,200} \\(request id [0-9a-f]{12}\\)\n";

  private static TestTokens tokens;
  private static RecordingTarget target;
  private static SampleProcess relay;

  @BeforeAll
  static void start() throws Exception {
    tokens = new TestTokens();
    target = new RecordingTarget();
    relay = SampleProcess.start(JAR, Map.of(
        "RELAY_TARGET_URL", "http://my.api.private:" + target.port() + "/events",
        "PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1",
        "RELAY_PUSH_AUDIENCE", AUD,
        "RELAY_PUSH_SERVICE_ACCOUNT", TestTokens.PUSH_ACCOUNT,
        "RELAY_PUSH_CERTS_URL", tokens.certsUrl(),
        "RELAY_MAX_BODY_BYTES", Integer.toString(CAP)), List.of("-Xmx64m"));
  }

  @AfterAll
  static void stop() {
    if (relay != null) {
      relay.close();
    }
    target.close();
    tokens.close();
  }

  private static String good() throws Exception {
    return "Authorization: Bearer " + tokens.sign(TestTokens.pushClaims(AUD));
  }

  private static RawHttp.Answer post(String headers, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    return RawHttp.post(relay.port, headers + "\r\nContent-Length: " + b.length, b, 30_000);
  }

  @Test
  void aDeliveryWithAValidTokenIsForwardedWithoutTheToken() throws Exception {
    int before = target.count();
    RawHttp.Answer a = post(good() + "\r\nContent-Type: application/json", PUSH);
    assertThat(a.status()).as(a.body() + relay.output()).isEqualTo(204);
    RecordingTarget.Received r = target.received.get(before);
    assertThat(r.headers()).doesNotContainKey("Authorization").containsKey("Idempotency-key");
    assertThat(r.bodyBytes()).isEqualTo(PUSH.length());
  }

  @Test
  void anAnonymousBodyIsNeverRead() throws Exception {
    int before = target.count();
    // Announces 100 MB and sends none of it: refused from the headers alone.
    RawHttp.Answer a = RawHttp.post(relay.port, "Content-Type: application/json\r\nContent-Length: 100000000",
        new byte[0], 30_000);
    assertThat(a.status()).isEqualTo(401);
    assertThat(a.body()).matches("missing push token " + FIXED.substring(FIXED.indexOf("\\(")));

    // Eight callers at once stream 24 MB each without a token into a 64 MB heap.
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> calls = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        calls.add(pool.submit(() -> chunkedUpload("Authorization: Bearer x.y.z", 24 << 20)));
      }
      for (Future<Integer> f : calls) {
        int status = f.get(120, TimeUnit.SECONDS);
        assertThat(status).as("401, or cut off while sending (0)").isIn(0, 401);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(relay.process().isAlive()).isTrue();
    assertThat(relay.output()).doesNotContain("OutOfMemoryError");
    assertThat(target.count()).isEqualTo(before);
    assertThat(post(good() + "\r\nContent-Type: application/json", PUSH).status()).isEqualTo(204);
  }

  @Test
  void aVerifiedBodyIsCappedAtTheLimitWhileReading() throws Exception {
    int before = target.count();
    RawHttp.Answer declared = RawHttp.post(relay.port, good() + "\r\nContent-Length: " + (CAP + 1), new byte[0], 30_000);
    assertThat(declared.status()).as("refused from the Content-Length, before any byte").isEqualTo(413);
    assertThat(declared.body()).matches("body larger than " + CAP + " bytes " + FIXED.substring(FIXED.indexOf("\\(")));
    assertThat(chunkedUpload(good(), 3 * CAP)).as("no Content-Length: refused once past the limit").isIn(0, 413);
    assertThat(target.count()).isEqualTo(before);
  }

  @Test
  void aBodyThatStopsArrivingTimesOut() throws Exception {
    int before = target.count();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), relay.port), 5000);
      s.setSoTimeout(30_000); // the relay's own read timeout is 5 s; 60 s before it was set
      OutputStream out = s.getOutputStream();
      out.write(("POST / HTTP/1.1\r\nHost: relay\r\nContent-Length: 1000\r\n" + good() + "\r\n\r\n{\"message\":")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      RawHttp.Answer a = RawHttp.read(s.getInputStream());
      assertThat(a.status()).isEqualTo(408); // Tomcat's own answer to its read timeout
      assertThat(a.body()).doesNotContain("Exception", "\tat ");
    }
    assertThat(target.count()).isEqualTo(before);
  }

  @Test
  void forgedAndMalformedTokensGetA401Or403WithAFixedReasonAndReachNothing() throws Exception {
    int before = target.count();
    String logBefore = relay.output();
    long now = Instant.now().getEpochSecond();
    String payload = new String(TestTokens.json(TestTokens.pushClaims(AUD)), StandardCharsets.UTF_8);
    Map<String, Object> noIss = TestTokens.pushClaims(AUD);
    noIss.remove("iss");
    Map<String, Object> noExp = TestTokens.pushClaims(AUD);
    noExp.remove("exp");
    Map<String, Object> future = TestTokens.pushClaims(AUD);
    future.put("iat", now + 3600);
    future.put("exp", now + 7200);
    Map<String, Object> notBefore = TestTokens.pushClaims(AUD);
    notBefore.put("nbf", now + 3600);
    Map<String, Object> expired = TestTokens.pushClaims(AUD);
    expired.put("exp", now - 10);
    Map<String, Object> otherSender = TestTokens.pushClaims(AUD);
    otherSender.put("email", "intruder@evil.example.com");
    Map<String, Object> unverified = TestTokens.pushClaims(AUD);
    unverified.put("email_verified", "true");
    String[] tokens401 = {
      tokens.sign(noIss), tokens.sign(noExp), tokens.sign(future), tokens.sign(notBefore), tokens.sign(expired),
      tokens.sign(TestTokens.pushClaims("https://other.example.com")),
      tokens.signWithWrongKey(TestTokens.pushClaims(AUD)),
      tokens.signRaw("{\"alg\":\"ES256\",\"kid\":\"" + TestTokens.EC_KID + "\"}", payload).replaceAll("\\.[^.]*$", ".AAAA"),
      TestTokens.unsigned("{\"alg\":\"none\"}", payload, ""),
      TestTokens.unsigned("{\"alg\":\"HS256\",\"kid\":\"" + TestTokens.KID + "\"}", payload, "c2ln"),
      TestTokens.unsigned("{\"alg\":\"RS256\",\"kid\":\"k\",\"jku\":\"http://127.0.0.1:1/\"}", payload, "AAAA"),
      TestTokens.unsigned("{\"alg\":\"RS256\"}", "{\"iss\":12,\"aud\":[1,{}],\"exp\":\"soon\"}", "AAAA"),
      TestTokens.unsigned("{\"alg\":\"RS256\",\"kid\":\"k\"}",
          "{\"iss\":\"https://accounts.google.com\\r\\nFORGED \\u001b[31m\",\"aud\":\"" + "A".repeat(5000) + "\"}", "AAAA"),
      "a.b.c.d", "x".repeat(6000), "",
    };
    for (String t : tokens401) {
      RawHttp.Answer a = post("Authorization: Bearer " + t + "\r\nContent-Type: application/json", PUSH);
      assertThat(a.status()).as(t + " -> " + a.body()).isEqualTo(401);
      assertThat(a.body()).as(t).matches(FIXED).doesNotContain("FORGED", "AAAAAAAA", "evil");
    }
    for (Map<String, Object> claims : List.of(otherSender, unverified)) {
      RawHttp.Answer a = post("Authorization: Bearer " + tokens.sign(claims) + "\r\nContent-Type: application/json", PUSH);
      assertThat(a.status()).isEqualTo(403);
      assertThat(a.body()).matches(FIXED);
    }
    String log = relay.output().substring(logBefore.length());
    assertThat(log).doesNotContain("\tat ", "Exception:", "\u001b").doesNotContainPattern("(?m)^FORGED");
    assertThat(log.lines().filter(l -> l.contains("refused (40"))).hasSize(tokens401.length + 2);
    assertThat(log.lines().mapToInt(String::length).max().orElse(0)).isLessThan(1200);
    assertThat(target.count()).isEqualTo(before);
  }

  @Test
  void lenientJsonDuplicateNamesAndUnboundedIdsAreA400WithAShortAnswer() throws Exception {
    int before = target.count();
    String logBefore = relay.output();
    String[] bodies = {
      "{'message':{'messageId':'1'}}", "{message:{\"messageId\":\"1\"}}",
      "{\"message\":{\"messageId\":\"1\"}} /* c */", "{\"message\":{\"messageId\":\"1\",\"messageId\":\"2\"}}",
      "{\"message\":{\"messageId\":\"1\",\"message_id\":\"2\"}}", "[".repeat(5000),
      "{\"message\":{\"messageId\":\"" + "z".repeat(1_500_000) + "\"}}",
      "{\"message\":{\"messageId\":\"1\\r\\nFORGED \\u001b[2J\"}}",
    };
    for (String body : bodies) {
      RawHttp.Answer a = post(good() + "\r\nContent-Type: application/json", body);
      assertThat(a.status()).as(body.substring(0, Math.min(80, body.length())) + " -> " + a.body()).isEqualTo(400);
      assertThat(a.body()).matches(FIXED).hasSizeLessThan(200).doesNotContain("FORGED", "zzz");
    }
    RawHttp.Answer twice = post(good() + "\r\nce-id: 1\r\nce-id: 2\r\nce-source: s\r\nce-specversion: 1.0\r\nce-type: t",
        "{}");
    assertThat(twice.status()).isEqualTo(400);
    assertThat(twice.body()).startsWith("a ce-* header more than once");
    RawHttp.Answer latin1 = post(good() + "\r\nce-id: 1\r\nce-source: s\u00e9\r\nce-specversion: 1.0\r\nce-type: t", "{}");
    assertThat(latin1.status()).isEqualTo(400);
    assertThat(latin1.body()).startsWith("ce-* header with characters that cannot be forwarded");
    RawHttp.Answer badType = post(good() + "\r\nce-id: 1\r\nce-source: s\r\nce-specversion: 1.0\r\nce-type: t"
        + "\r\nContent-Type: text/plain; x=\"\u00e9\"", "{}");
    assertThat(badType.status()).as("OkHttp refuses such a Content-Type only when sending").isEqualTo(400);
    String log = relay.output().substring(logBefore.length());
    assertThat(log).doesNotContain("\u001b").doesNotContainPattern("(?m)^FORGED");
    assertThat(log.lines().mapToInt(String::length).max().orElse(0)).isLessThan(1200);
    assertThat(target.count()).isEqualTo(before);
  }

  /** POSTs {@code size} bytes chunked, stopping when the relay stops reading; the status, 0 when cut off. */
  private static int chunkedUpload(String headers, int size) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), relay.port), 5000);
      s.setSoTimeout(60_000);
      OutputStream out = s.getOutputStream();
      out.write(("POST / HTTP/1.1\r\nHost: relay\r\nConnection: close\r\nContent-Type: application/json\r\n" + headers
          + "\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      byte[] chunk = new byte[64 * 1024];
      java.util.Arrays.fill(chunk, (byte) '7');
      byte[] head = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
      try {
        for (int sent = 0; sent < size; sent += chunk.length) {
          out.write(head);
          out.write(chunk);
          out.write(new byte[] {'\r', '\n'});
        }
        out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      } catch (IOException cutOff) {
        // the relay answered and closed while the body was still coming: read what it answered
      }
      InputStream in = s.getInputStream();
      try {
        return RawHttp.read(in).status();
      } catch (IOException e) {
        return 0;
      }
    }
  }
}
