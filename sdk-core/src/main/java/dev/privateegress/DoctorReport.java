package dev.privateegress;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
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
    JsonObject root = new JsonObject();
    root.addProperty("platform", platform.id());
    root.addProperty("project", project.orElse(null));
    root.addProperty("region", region.orElse(null));
    root.addProperty("credentials", credentials);
    JsonObject e = new JsonObject();
    e.addProperty("mode", egress.mode().id());
    e.addProperty("scope", egress.scope().id());
    e.addProperty("source", egress.source().id());
    JsonArray evidence = new JsonArray();
    for (Evidence ev : egress.evidence()) {
      JsonObject o = new JsonObject();
      o.addProperty("source", ev.source().id());
      o.addProperty("detail", ev.detail());
      evidence.add(o);
    }
    e.add("evidence", evidence);
    root.add("egress", e);
    JsonArray results = new JsonArray();
    for (CheckResult c : checks) {
      JsonObject o = new JsonObject();
      o.addProperty("target", c.target());
      o.addProperty("check", c.check().id());
      o.addProperty("ok", c.ok());
      o.addProperty("millis", c.millis());
      o.addProperty("detail", c.detail());
      o.addProperty("advice", c.advice());
      results.add(o);
    }
    root.add("checks", results);
    // Nulls kept (project and region are null when unknown); no HTML escaping: the output is not HTML.
    return new GsonBuilder().serializeNulls().disableHtmlEscaping().create().toJson(root);
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
