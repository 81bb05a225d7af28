package dev.privateegress;

import dev.privateegress.internal.Json;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link PrivateEgress#doctor} found: where we run, which credentials tokens come from, how traffic
 * leaves, and every check with its advice. {@link #toJson()} is the doctor CLI's {@code --json} format;
 * {@link #toText()} its human output. Neither ever contains token text or passwords.
 *
 * @param platform the detected platform
 * @param project the project id, when known
 * @param region the region, when known
 * @param egress the egress verdict, refined by what the checks proved
 * @param checks every check in the order it ran
 * @param credentials which credentials tokens would come from, e.g. {@code metadata server
 *     (runtime@p.iam.gserviceaccount.com)}; empty when not determined
 */
public record DoctorReport(
    Platform platform,
    Optional<String> project,
    Optional<String> region,
    EgressInfo egress,
    List<CheckResult> checks,
    String credentials) {

  public DoctorReport {
    Objects.requireNonNull(platform, "platform");
    Objects.requireNonNull(project, "project");
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(egress, "egress");
    checks = List.copyOf(checks);
    credentials = credentials == null ? "" : credentials;
  }

  /** A report without a credentials line. */
  public DoctorReport(Platform platform, Optional<String> project, Optional<String> region, EgressInfo egress,
      List<CheckResult> checks) {
    this(platform, project, region, egress, checks, "");
  }

  /** True when every check passed. */
  public boolean ok() {
    return checks.stream().allMatch(CheckResult::ok);
  }

  /** The failed checks. */
  public List<CheckResult> failures() {
    return checks.stream().filter(c -> !c.ok()).toList();
  }

  /**
   * One JSON object: {@code {"platform","project","region","credentials","egress":{"mode","scope","source",
   * "evidence"},"checks":[{"target","check","ok","millis","detail","advice"}]}}; project and region are
   * null when unknown, evidence is a list of {@code {"source","detail"}}.
   */
  public String toJson() {
    StringBuilder sb = new StringBuilder(256 + checks.size() * 160);
    sb.append("{\"platform\":").append(Json.quote(platform.id()))
        .append(",\"project\":").append(project.map(Json::quote).orElse("null"))
        .append(",\"region\":").append(region.map(Json::quote).orElse("null"))
        .append(",\"credentials\":").append(Json.quote(credentials))
        .append(",\"egress\":{\"mode\":").append(Json.quote(egress.mode().id()))
        .append(",\"scope\":").append(Json.quote(egress.scope().id()))
        .append(",\"source\":").append(Json.quote(egress.source().id()))
        .append(",\"evidence\":[");
    for (int i = 0; i < egress.evidence().size(); i++) {
      Evidence e = egress.evidence().get(i);
      sb.append(i == 0 ? "" : ",")
          .append("{\"source\":").append(Json.quote(e.source().id()))
          .append(",\"detail\":").append(Json.quote(e.detail())).append('}');
    }
    sb.append("]},\"checks\":[");
    for (int i = 0; i < checks.size(); i++) {
      CheckResult c = checks.get(i);
      sb.append(i == 0 ? "" : ",")
          .append("{\"target\":").append(Json.quote(c.target()))
          .append(",\"check\":").append(Json.quote(c.check().id()))
          .append(",\"ok\":").append(c.ok())
          .append(",\"millis\":").append(c.millis())
          .append(",\"detail\":").append(Json.quote(c.detail()))
          .append(",\"advice\":").append(Json.quote(c.advice()))
          .append('}');
    }
    return sb.append("]}").toString();
  }

  /**
   * A readable table: a header with platform, credentials and egress (with its evidence), one row per
   * check, under each failed check one line of advice, and a summary line.
   */
  public String toText() {
    StringBuilder sb = new StringBuilder();
    sb.append("platform     ").append(platform)
        .append("   project ").append(project.orElse("-"))
        .append("   region ").append(region.orElse("-")).append('\n');
    if (!credentials.isEmpty()) {
      sb.append("credentials  ").append(credentials).append('\n');
    }
    sb.append("egress       ").append(egress.mode()).append(" / ").append(egress.scope())
        .append("   (source: ").append(egress.source()).append(")\n");
    for (Evidence e : egress.evidence()) {
      sb.append("             - ").append(e).append('\n');
    }
    if (checks.isEmpty()) {
      sb.append("\nno targets given: pass http(s)://, redis(s):// or tcp://host:port targets to check them\n");
      return sb.toString();
    }
    int targetWidth = Math.min(48, checks.stream().mapToInt(c -> c.target().length()).max().orElse(6));
    targetWidth = Math.max(6, targetWidth);
    sb.append('\n');
    sb.append(String.format("%-4s  %-" + targetWidth + "s  %-5s  %6s  %s%n", "", "TARGET", "CHECK", "MS", "DETAIL"));
    for (CheckResult c : checks) {
      String target = c.target().length() > targetWidth
          ? c.target().substring(0, targetWidth - 3) + "..." : c.target();
      sb.append(String.format("%-4s  %-" + targetWidth + "s  %-5s  %6d  %s%n",
          c.ok() ? "ok" : "FAIL", target, c.check().id(), c.millis(), c.detail()));
      if (!c.ok() && !c.advice().isEmpty()) {
        sb.append("      -> ").append(c.advice()).append('\n');
      }
    }
    long failed = checks.stream().filter(c -> !c.ok()).count();
    sb.append('\n').append(failed == 0 ? "all " + checks.size() + " checks passed"
        : failed + " of " + checks.size() + " checks failed").append('\n');
    return sb.toString();
  }
}
