package dev.privateegress.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.http.internal.RetryRules.Failure;
import dev.privateegress.internal.RetryLoop.Decision;
import dev.privateegress.internal.RetryLoop.Verdict;
import okhttp3.internal.http2.ConnectionShutdownException;
import okhttp3.internal.http2.ErrorCode;
import okhttp3.internal.http2.StreamResetException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RetryRulesTest {
  private static final long SECOND = 1_000_000_000L;

  @ParameterizedTest(name = "{0} replayable={1} attempt={2} -> {3}")
  @CsvSource({
      "200, true, 1, FINAL",
      "500, true, 1, FINAL",
      "404, true, 1, FINAL",
      "503, true, 1, RETRY",
      "429, true, 1, RETRY",
      "502, true, 2, RETRY",
      "504, true, 3, ATTEMPTS",
      "503, false, 1, NOT_REPLAYABLE",
  })
  void statuses(int code, boolean replayable, int attempt, Verdict expected) {
    assertThat(RetryRules.decide(code, null, replayable, attempt, 3, -1, 1, SECOND).verdict()).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} replayable={1} -> {2}")
  @CsvSource({
      "CONNECT, false, RETRY",
      "BEFORE_SEND, false, RETRY",
      "REFUSED, false, RETRY",
      "AFTER_SEND, false, NOT_REPLAYABLE",
      "AFTER_SEND, true, RETRY",
      "TIMEOUT, true, FINAL",
      "PERMANENT, true, FINAL",
      "CANCELED, true, FINAL",
  })
  void failures(Failure failure, boolean replayable, Verdict expected) {
    assertThat(RetryRules.decide(-1, failure, replayable, 1, 3, -1, 1, SECOND).verdict()).isEqualTo(expected);
  }

  @Test
  void http2RefusalsAreNotProcessedAndResentOutsideThePolicyUpToTheirBudget() {
    assertThat(RetryRules.notProcessed(new StreamResetException(ErrorCode.REFUSED_STREAM))).isTrue();
    assertThat(RetryRules.notProcessed(new ConnectionShutdownException())).isTrue();
    // any other reset may come after the server began processing
    assertThat(RetryRules.notProcessed(new StreamResetException(ErrorCode.CANCEL))).isFalse();
    assertThat(RetryRules.notProcessed(new StreamResetException(ErrorCode.PROTOCOL_ERROR))).isFalse();
    assertThat(RetryRules.notProcessed(new java.io.EOFException())).isFalse();

    assertThat(RetryRules.resendRefused(Failure.REFUSED, false, 0, 2)).isTrue();
    assertThat(RetryRules.resendRefused(Failure.REFUSED, false, 2, 2)).isFalse();
    assertThat(RetryRules.resendRefused(Failure.REFUSED, true, 2, 2)).as("refused while the server answers other requests").isTrue();
    assertThat(RetryRules.resendRefused(Failure.AFTER_SEND, true, 0, 2)).isFalse();
    // past its budget a refusal is an ordinary attempt: retried for any method, within the policy's attempts
    assertThat(RetryRules.decide(-1, Failure.REFUSED, false, 3, 3, -1, 1, SECOND)).isEqualTo(Decision.ATTEMPTS);
  }

  @Test
  void retryAfterWinsOverBackoffAndTheDeadlineCapsBoth() {
    Decision d = RetryRules.decide(503, null, true, 1, 3, 2 * SECOND, 5, 3 * SECOND);
    assertThat(d.retry()).isTrue();
    assertThat(d.delayNanos()).isEqualTo(2 * SECOND);
    assertThat(RetryRules.decide(503, null, true, 1, 3, 2 * SECOND, 5, SECOND)).isEqualTo(Decision.DEADLINE);
    assertThat(RetryRules.decide(503, null, true, 1, 3, -1, 2 * SECOND, SECOND)).isEqualTo(Decision.DEADLINE);
    assertThat(RetryRules.decide(503, null, true, 1, 3, 0, 2 * SECOND, SECOND).delayNanos()).isZero();
  }

  @Test
  void successIsBelow500AndNot429() {
    assertThat(RetryRules.success(200)).isTrue();
    assertThat(RetryRules.success(404)).isTrue();
    assertThat(RetryRules.success(429)).isFalse();
    assertThat(RetryRules.success(500)).isFalse();
  }
}
