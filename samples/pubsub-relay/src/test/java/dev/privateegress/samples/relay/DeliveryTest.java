package dev.privateegress.samples.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeliveryTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static Map<String, List<String>> ce() {
    Map<String, List<String>> h = new LinkedHashMap<>();
    h.put("Content-Type", List.of("application/json"));
    h.put("Ce-Id", List.of("1234567890"));
    h.put("Ce-Source", List.of("//pubsub.googleapis.com/projects/p/topics/t"));
    h.put("Ce-Specversion", List.of("1.0"));
    h.put("Ce-Type", List.of("google.cloud.pubsub.topic.v1.messagePublished"));
    h.put("Ce-Subject", List.of(""));
    return h;
  }

  private static Delivery push(String body) throws Delivery.Malformed {
    return Delivery.parse(Map.of("Content-Type", List.of("application/json")), utf8(body));
  }

  @Test
  void aBinaryCloudEventIsKeyedByCeIdAndKeepsEveryCeHeader() throws Exception {
    Delivery d = Delivery.parse(ce(), utf8("{\"message\":{}}"));
    assertThat(d.kind()).isEqualTo("cloudevent");
    assertThat(d.id()).isEqualTo("1234567890");
    assertThat(d.ceHeaders()).containsOnlyKeys("ce-id", "ce-source", "ce-specversion", "ce-type", "ce-subject");
  }

  @Test
  void aCloudEventWithoutARequiredAttributeOrWithAnotherSpecVersionIsMalformed() {
    Map<String, List<String>> h = ce();
    h.remove("Ce-Type");
    assertThatThrownBy(() -> Delivery.parse(h, new byte[0])).isInstanceOf(Delivery.Malformed.class)
        .hasMessageContaining("ce-type");
    Map<String, List<String>> v = ce();
    v.put("Ce-Specversion", List.of("0.3\r\nFORGED"));
    assertThatThrownBy(() -> Delivery.parse(v, new byte[0])).hasMessage("unsupported ce-specversion, expected 1.0")
        .hasFieldOrPropertyWithValue("detail", "ce-specversion \"0.3\\r\\nFORGED\"");
  }

  @Test
  void aCeHeaderTwiceALongOrUnprintableCeIdAndLenientJsonDataAreMalformed() {
    Map<String, List<String>> twice = ce();
    twice.put("ce-id", List.of("1", "2"));
    assertThatThrownBy(() -> Delivery.parse(twice, utf8("{}"))).hasMessage("a ce-* header more than once");
    Map<String, List<String>> sameNameOtherCase = ce();
    sameNameOtherCase.put("CE-ID", List.of("2"));
    assertThatThrownBy(() -> Delivery.parse(sameNameOtherCase, utf8("{}"))).hasMessage("a ce-* header more than once");
    for (String id : new String[] {"x".repeat(Delivery.MAX_ID + 1), "a b", "id\u001b[31m", "\u00e9"}) {
      Map<String, List<String>> h = ce();
      h.put("Ce-Id", List.of(id));
      assertThatThrownBy(() -> Delivery.parse(h, utf8("{}"))).as(id)
          .hasMessage("ce-id must be 1 to 256 visible ASCII characters");
    }
    assertThatThrownBy(() -> Delivery.parse(ce(), utf8("{'a':1}")))
        .hasMessageStartingWith("CloudEvent data of a JSON content type is not strict JSON");
    for (String type : new String[] {"text/plain; x=\"\u001b[31m\"", "text/plain; x=\"\u00e9\"", "text/" + "x".repeat(300)}) {
      Map<String, List<String>> h = ce();
      h.put("Content-Type", List.of(type));
      assertThatThrownBy(() -> Delivery.parse(h, utf8("{}"))).as(type)
          .hasMessage("Content-Type with characters that cannot be forwarded");
    }
    Map<String, List<String>> text = ce();
    text.put("Content-Type", List.of("text/plain"));
    assertThatCode(() -> Delivery.parse(text, utf8("{'a':1} any text"))).doesNotThrowAnyException();
  }

  @Test
  void aPushEnvelopeIsKeyedByItsMessageIdInEitherSpelling() throws Exception {
    String body = "{\"message\":{\"attributes\":{\"k\":\"v\"},\"data\":\"SGVsbG8=\",\"messageId\":\"136969346945\","
        + "\"message_id\":\"136969346945\",\"publishTime\":\"2026-11-26T12:00:00Z\"},\"subscription\":\"projects/p/subscriptions/s\"}";
    Delivery d = push(body);
    assertThat(d.kind()).isEqualTo("pubsub");
    assertThat(d.id()).isEqualTo("136969346945");
    assertThat(d.ceHeaders()).isEmpty();
    assertThat(push("{\"message\":{\"message_id\":\"42\"}}").id()).isEqualTo("42");
  }

  @Test
  void lenientJsonDuplicateNamesAndUnboundedIdsAreRefused() {
    String[] lenient = {
      "{'message':{'messageId':'1'}}", "{message:{\"messageId\":\"1\"}}", "{\"message\":{\"messageId\":\"1\"}} // c",
      "/* c */ {\"message\":{\"messageId\":\"1\"}}", "{\"message\":{\"messageId\":\"1\"},}",
      "{\"message\":{\"messageId\":\"1\"}} {}", "{\"message\":{\"messageId\":\"1\"}};",
      "{\"message\":{\"messageId\":\"1\",\"x\":NaN}}", "[".repeat(10_000),
    };
    for (String body : lenient) {
      assertThatThrownBy(() -> push(body)).as(body).isInstanceOf(Delivery.Malformed.class)
          .hasMessageContaining("strict JSON");
    }
    assertThatThrownBy(() -> Delivery.parse(Map.of(), new byte[] {'{', '"', (byte) 0xC3, '"', ':', '1', '}'}))
        .hasMessageContaining("not UTF-8");
    assertThatThrownBy(() -> push("{\"message\":{\"messageId\":\"1\",\"messageId\":\"2\"}}"))
        .hasMessageContaining("a name twice in one object");
    assertThatThrownBy(() -> push("{\"message\":{\"messageId\":\"1\"},\"message\":{\"messageId\":\"2\"}}"))
        .hasMessageContaining("a name twice in one object");
    assertThatThrownBy(() -> push("{\"message\":{\"messageId\":\"1\",\"message_id\":\"2\"}}"))
        .hasMessage("Pub/Sub message with different messageId and message_id");
    assertThatThrownBy(() -> push("{\"message\":{\"messageId\":\"" + "9".repeat(2_000_000) + "\"}}"))
        .hasMessage("messageId must be 1 to 256 visible ASCII characters")
        .satisfies(e -> assertThat(((Delivery.Malformed) e).detail.length()).isLessThan(300));
    assertThatThrownBy(() -> push("{\"message\":{\"messageId\":\"1\\r\\nFORGED\"}}"))
        .hasMessage("messageId must be 1 to 256 visible ASCII characters");
  }

  @Test
  void anythingElseIsMalformedWithAFixedReason() {
    assertThatThrownBy(() -> push("hello {")).isInstanceOf(Delivery.Malformed.class)
        .hasMessageContaining("push envelope").hasMessageContaining("ce-*");
    assertThatThrownBy(() -> push("[1]")).hasMessageContaining("JSON object");
    assertThatThrownBy(() -> push("{\"subscription\":\"s\"}")).hasMessageContaining("\"message\"");
    assertThatThrownBy(() -> push("{\"message\":{\"data\":\"SGk=\"}}")).hasMessageContaining("messageId");
    assertThatThrownBy(() -> push("{\"message\":{\"messageId\":\"7\",\"data\":\"%%%\"}}"))
        .hasMessage("Pub/Sub message data is not valid base64");
    assertThatThrownBy(() -> Delivery.parse(Map.of(), new byte[0])).isInstanceOf(Delivery.Malformed.class);
  }
}
