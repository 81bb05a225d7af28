package dev.privateegress.samples.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeliveryTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static Map<String, String> ce() {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", "application/json");
    h.put("Ce-Id", "1234567890");
    h.put("Ce-Source", "//pubsub.googleapis.com/projects/p/topics/t");
    h.put("Ce-Specversion", "1.0");
    h.put("Ce-Type", "google.cloud.pubsub.topic.v1.messagePublished");
    h.put("Ce-Subject", "");
    return h;
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
    Map<String, String> h = ce();
    h.remove("Ce-Type");
    assertThatThrownBy(() -> Delivery.parse(h, new byte[0])).isInstanceOf(Delivery.Malformed.class)
        .hasMessageContaining("ce-type");
    Map<String, String> v = ce();
    v.put("Ce-Specversion", "0.3");
    assertThatThrownBy(() -> Delivery.parse(v, new byte[0])).hasMessageContaining("0.3");
  }

  @Test
  void aPushEnvelopeIsKeyedByItsMessageIdInEitherSpelling() throws Exception {
    String push = "{\"message\":{\"attributes\":{\"k\":\"v\"},\"data\":\"SGVsbG8=\",\"messageId\":\"136969346945\","
        + "\"publishTime\":\"2026-11-26T12:00:00Z\"},\"subscription\":\"projects/p/subscriptions/s\"}";
    Delivery d = Delivery.parse(Map.of("Content-Type", "application/json"), utf8(push));
    assertThat(d.kind()).isEqualTo("pubsub");
    assertThat(d.id()).isEqualTo("136969346945");
    assertThat(d.ceHeaders()).isEmpty();
    assertThat(Delivery.parse(Map.of(), utf8("{\"message\":{\"message_id\":\"42\"}}")).id()).isEqualTo("42");
  }

  @Test
  void anythingElseIsMalformedWithAReason() {
    assertThatThrownBy(() -> Delivery.parse(Map.of(), utf8("hello {"))).isInstanceOf(Delivery.Malformed.class)
        .hasMessageContaining("push envelope").hasMessageContaining("ce-*");
    assertThatThrownBy(() -> Delivery.parse(Map.of(), utf8("[1]"))).hasMessageContaining("JSON object");
    assertThatThrownBy(() -> Delivery.parse(Map.of(), utf8("{\"subscription\":\"s\"}")))
        .hasMessageContaining("\"message\"");
    assertThatThrownBy(() -> Delivery.parse(Map.of(), utf8("{\"message\":{\"data\":\"SGk=\"}}")))
        .hasMessageContaining("messageId");
    assertThatThrownBy(() -> Delivery.parse(Map.of(), utf8("{\"message\":{\"messageId\":\"7\",\"data\":\"%%%\"}}")))
        .hasMessageContaining("base64");
    assertThatThrownBy(() -> Delivery.parse(Map.of(), new byte[0])).isInstanceOf(Delivery.Malformed.class);
  }
}
