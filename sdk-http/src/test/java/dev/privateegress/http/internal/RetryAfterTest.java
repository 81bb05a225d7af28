package dev.privateegress.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RetryAfterTest {
  private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");

  @Test
  void secondsForm() {
    assertThat(RetryAfter.parse("2", NOW)).isEqualTo(Duration.ofSeconds(2));
    assertThat(RetryAfter.parse(" 3600 ", NOW)).isEqualTo(Duration.ofHours(1));
    assertThat(RetryAfter.parse("0", NOW)).isEqualTo(Duration.ZERO);
    assertThat(RetryAfter.parse("99999999999999999999999", NOW)).isGreaterThan(Duration.ofDays(365));
  }

  @Test
  void httpDateForm() {
    assertThat(RetryAfter.parse("Sat, 21 Nov 2026 12:00:05 GMT", NOW)).isEqualTo(Duration.ofSeconds(5));
    assertThat(RetryAfter.parse("Sat, 21 Nov 2026 11:00:00 GMT", NOW)).isEqualTo(Duration.ZERO);
  }

  @Test
  void absentOrGarbageMeansNoHint() {
    assertThat(RetryAfter.parse(null, NOW)).isNull();
    assertThat(RetryAfter.parse("", NOW)).isNull();
    assertThat(RetryAfter.parse("soon", NOW)).isNull();
    assertThat(RetryAfter.parse("-1", NOW)).isNull();
  }
}
