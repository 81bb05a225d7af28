package dev.privateegress;

import java.util.Objects;

/**
 * The outcome of one side-effect-free check against one target.
 *
 * @param target the target as shown to users (passwords masked)
 * @param check what was checked
 * @param ok whether it passed
 * @param millis how long it took
 * @param detail what was observed, e.g. {@code my.api.private -> 10.8.0.5 (private)}
 * @param advice for a failed check, the likely cause and what to do; empty when ok
 */
public record CheckResult(String target, CheckKind check, boolean ok, long millis, String detail, String advice) {
  public CheckResult {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(check, "check");
    detail = detail == null ? "" : detail;
    advice = advice == null ? "" : advice;
  }

  /** A passed check of {@code target}, with what was observed. */
  public static CheckResult pass(Target target, CheckKind check, long millis, String detail) {
    return new CheckResult(target.toString(), check, true, millis, detail, "");
  }

  /** A failed check of {@code target}, with what was observed and what to do about it. */
  public static CheckResult fail(Target target, CheckKind check, long millis, String detail, String advice) {
    return new CheckResult(target.toString(), check, false, millis, detail, advice);
  }
}
