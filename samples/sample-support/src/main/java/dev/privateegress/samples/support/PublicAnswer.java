package dev.privateegress.samples.support;

import java.util.UUID;

/**
 * What a sample tells an outside caller when something fails: a fixed, short reason and a request id. The
 * detail (addresses, exceptions, advice, the caller's own values) goes to the log under the same id, where
 * the operator finds it; the caller learns nothing about the inside.
 */
public final class PublicAnswer {
  private PublicAnswer() {}

  /** A new request id: 12 hex digits, random, to find the log lines of one answer. */
  public static String newRequestId() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  /**
   * The body of the answer: {@code reason (request id ID)} and a line break.
   *
   * @param reason a fixed text of the sample's own, never something the caller sent
   * @param requestId from {@link #newRequestId()}
   */
  public static String text(String reason, String requestId) {
    return reason + " (request id " + requestId + ")\n";
  }
}
