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
   * What to answer for an upstream's error status: the upstream's own status and body stay inside (an HTML
   * page, a stack trace or a secret in a 500 body are the upstream's business, not the caller's).
   *
   * @param status the status to answer
   * @param reason the short reason to give with the request id
   */
  public record Mapped(int status, String reason) {}

  /**
   * Maps an upstream's status that is not a success: 404 stays 404; 429 and 503 become 503 (try again later);
   * 504 stays 504; anything else (other 4xx, 5xx, an unfollowed 3xx) becomes 502.
   *
   * @param upstream what the caller knows the upstream as, e.g. {@code internal API}
   * @param status the upstream's status
   */
  public static Mapped upstreamError(String upstream, int status) {
    switch (status) {
      case 404:
        return new Mapped(404, "not found at the " + upstream);
      case 429:
      case 503:
        return new Mapped(503, upstream + " busy; try again later");
      case 504:
        return new Mapped(504, upstream + " timed out");
      default:
        return new Mapped(502, upstream + " answered " + status);
    }
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
