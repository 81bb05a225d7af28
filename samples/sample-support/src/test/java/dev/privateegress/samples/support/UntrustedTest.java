package dev.privateegress.samples.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateegress.samples.testing.HostileStrings;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class UntrustedTest {

  @Provide
  Arbitrary<String> hostile() {
    return HostileStrings.any(6000);
  }

  @Property(tries = 1000)
  void nothingShownCanBreakALineDriveATerminalOrExceedTheLimit(@ForAll("hostile") String value,
      @ForAll @IntRange(min = 8, max = 300) int limit) {
    String shown = Untrusted.shown(value, limit);
    assertThat(shown.codePoints()).allSatisfy(cp -> assertThat(safe(cp)).as("U+%04X in %s", cp, shown).isTrue());
    assertThat(shown.length()).isLessThanOrEqualTo(limit + 2 + " (12345 chars)".length() + 1);
    assertThat(shown).startsWith("\"");
  }

  @Property(tries = 500)
  void plainValuesAreShownWholeInQuotes(@ForAll("plain") String value) {
    assertThat(Untrusted.shown(value)).isEqualTo("\"" + value + "\"");
  }

  @Provide
  Arbitrary<String> plain() {
    return net.jqwik.api.Arbitraries.strings().alpha().numeric().withChars("@.-_:/ ").ofMaxLength(Untrusted.DEFAULT_LIMIT);
  }

  @Test
  void escapesLineBreaksAnsiAndQuotesAndCutsLongValues() {
    assertThat(Untrusted.shown("a\r\nINFO forged")).isEqualTo("\"a\\r\\nINFO forged\"");
    assertThat(Untrusted.shown("\u001b[31mred\u001b[0m")).isEqualTo("\"\\u001b[31mred\\u001b[0m\"");
    assertThat(Untrusted.shown("say \"hi\" \\ \u2028")).isEqualTo("\"say \\\"hi\\\" \\\\ \\u2028\"");
    assertThat(Untrusted.shown("x".repeat(5000), 10)).isEqualTo("\"xxxxxxx...\" (5000 chars)");
    assertThat(Untrusted.shown("\ud83d\ude00")).isEqualTo("\"\ud83d\ude00\"");
    assertThat(Untrusted.shown("\ud83d")).isEqualTo("\"\\ud83d\"");
    assertThat(Untrusted.shown(null)).isEqualTo("null");
    assertThatThrownBy(() -> Untrusted.shown("x", 3)).hasMessageContaining("limit").hasMessageContaining("3");
  }

  @Test
  void publicAnswersCarryTheReasonAndARequestId() {
    String id = PublicAnswer.newRequestId();
    assertThat(id).matches("[0-9a-f]{12}").isNotEqualTo(PublicAnswer.newRequestId());
    assertThat(PublicAnswer.text("Redis unavailable", id)).isEqualTo("Redis unavailable (request id " + id + ")\n");
  }

  @Test
  void upstreamErrorsAreMappedNotPassedThrough() {
    assertThat(PublicAnswer.upstreamError("internal API", 404)).isEqualTo(new PublicAnswer.Mapped(404, "not found at the internal API"));
    assertThat(PublicAnswer.upstreamError("internal API", 429).status()).isEqualTo(503);
    assertThat(PublicAnswer.upstreamError("internal API", 503).status()).isEqualTo(503);
    assertThat(PublicAnswer.upstreamError("internal API", 504).status()).isEqualTo(504);
    for (int s : new int[] {301, 400, 401, 403, 418, 500, 501, 502}) {
      assertThat(PublicAnswer.upstreamError("internal API", s)).isEqualTo(new PublicAnswer.Mapped(502, "internal API answered " + s));
    }
  }

  static boolean safe(int cp) {
    int type = Character.getType(cp);
    return type != Character.CONTROL && type != Character.FORMAT && type != Character.LINE_SEPARATOR
        && type != Character.PARAGRAPH_SEPARATOR && type != Character.SURROGATE && type != Character.UNASSIGNED
        && type != Character.PRIVATE_USE;
  }
}
