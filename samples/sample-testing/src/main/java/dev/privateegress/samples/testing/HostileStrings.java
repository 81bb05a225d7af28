package dev.privateegress.samples.testing;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

/**
 * Values an outside caller writes to forge log lines or flood them: line breaks that start a fake entry,
 * ANSI escapes, C0/C1 controls, Unicode line separators, bidi overrides, lone surrogates, and long runs.
 */
public final class HostileStrings {
  /** Text of a line the caller wants to appear as a log entry of its own. */
  public static final String FORGED = "FORGED-ENTRY";

  private static final String[] PIECES = {
    "\n", "\r", "\r\n", "\n" + FORGED + " INFO admin logged in", "\u001b[31m", "\u001b[2J", "\u001b]0;title\u0007",
    "\u0000", "\u0008", "\u007f", "\u0085", "\u009b31m", "\u2028", "\u2029", "\u202e", "\u2066", "\u200b",
    "\ufeff", "\ud800", "\udfff", "\\n", "\"", "'", "%0d%0a", "${jndi:ldap://x/}", "{}", "\t", "é", "😀"
  };

  private HostileStrings() {}

  /** Mixtures of the pieces above with any characters, up to {@code maxLength} long. */
  public static Arbitrary<String> any(int maxLength) {
    Arbitrary<String> piece = Arbitraries.oneOf(
        Arbitraries.of(PIECES),
        Arbitraries.strings().all().ofMinLength(1).ofMaxLength(8),
        Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(40));
    Arbitrary<String> mixed = piece.list().ofMinSize(1).ofMaxSize(12).map(l -> String.join("", l));
    Arbitrary<String> flood = Arbitraries.integers().between(maxLength / 2, maxLength)
        .map(n -> "\n" + FORGED + " " + "A".repeat(Math.max(0, n - FORGED.length() - 2)));
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(8, mixed),
        net.jqwik.api.Tuple.of(1, flood)).filter(s -> s.length() <= maxLength);
  }
}
