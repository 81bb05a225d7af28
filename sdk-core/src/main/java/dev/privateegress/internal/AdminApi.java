package dev.privateegress.internal;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.time.Duration;
import java.util.Optional;

/**
 * A tiny, synchronous GET client for Google's admin APIs (Cloud Run, App Engine, Cloud Functions),
 * authenticated with the runtime's own access token. {@link HttpURLConnection}, so no threads; every
 * request is bounded by the caller's remaining time. Failures come back as a {@link Response} with
 * {@code status} -1 and an error text, never as exceptions: egress detection must not throw.
 */
public final class AdminApi {
  public static final String RUN = "https://run.googleapis.com";
  public static final String APP_ENGINE = "https://appengine.googleapis.com";
  public static final String FUNCTIONS = "https://cloudfunctions.googleapis.com";

  private static final int MAX_BODY = 4 << 20;
  private static final Duration MAX_CONNECT = Duration.ofSeconds(2);

  private final String baseOverride;

  /** @param baseOverride one base URL for every API (tests), or null for Google's endpoints */
  public AdminApi(String baseOverride) {
    this.baseOverride = baseOverride;
  }

  /** The base URL used for {@code googleBase}: the override when set. */
  public String base(String googleBase) {
    return baseOverride != null ? baseOverride : googleBase;
  }

  /**
   * The outcome of one GET.
   *
   * @param status HTTP status, or -1 when no response arrived (timeout, refused, TLS)
   * @param json the body when it parsed as a JSON object (any status)
   * @param error what went wrong: the network failure, the API's {@code error.message}, or why the body
   *     did not parse; empty on success
   * @param timedOut true when the budget ran out
   */
  public record Response(int status, Optional<JsonObject> json, String error, boolean timedOut) {
    public boolean ok() {
      return status == 200 && json.isPresent();
    }

    /** True for failures that may pass on a later attempt (network, timeouts, 429, 5xx). */
    public boolean transientFailure() {
      return status == -1 || status == 429 || status >= 500;
    }

    /** Google's error {@code reason} (e.g. {@code SERVICE_DISABLED}) or status text, when the body says. */
    public String reason() {
      if (json.isEmpty() || !json.get().has("error") || !json.get().get("error").isJsonObject()) {
        return "";
      }
      JsonObject e = json.get().getAsJsonObject("error");
      if (e.has("details") && e.get("details").isJsonArray()) {
        for (JsonElement d : e.getAsJsonArray("details")) {
          if (d.isJsonObject() && d.getAsJsonObject().has("reason")) {
            return Util.jsonString(d.getAsJsonObject(), "reason");
          }
        }
      }
      return Util.jsonString(e, "status");
    }
  }

  /** GETs {@code base + path} with {@code Authorization: Bearer token}, within {@code budget}. */
  public Response get(String url, String token, Duration budget) {
    if (budget.isNegative() || budget.isZero()) {
      return new Response(-1, Optional.empty(), "time budget used up before the request", true);
    }
    HttpURLConnection c;
    try {
      c = (HttpURLConnection) new URL(url).openConnection();
    } catch (IOException | IllegalArgumentException e) {
      return new Response(-1, Optional.empty(), "cannot open " + url + ": " + e, false);
    }
    try {
      c.setConnectTimeout(Util.timeoutMillis(budget.compareTo(MAX_CONNECT) < 0 ? budget : MAX_CONNECT));
      c.setReadTimeout(Util.timeoutMillis(budget));
      c.setInstanceFollowRedirects(false);
      c.setUseCaches(false);
      c.setRequestProperty("Authorization", "Bearer " + token);
      c.setRequestProperty("Accept", "application/json");
      c.setRequestProperty("User-Agent", "private-egress-java egress-detection");
      int status = c.getResponseCode();
      String body = Util.readBody(status >= 400 ? c.getErrorStream() : c.getInputStream(), MAX_BODY);
      Optional<JsonObject> json;
      try {
        JsonElement parsed = body.isBlank() ? null : JsonParser.parseString(body);
        json = parsed != null && parsed.isJsonObject() ? Optional.of(parsed.getAsJsonObject()) : Optional.empty();
      } catch (JsonParseException e) {
        json = Optional.empty();
      }
      if (status == 200 && json.isEmpty()) {
        return new Response(status, json, "HTTP 200 but the body is not a JSON object: " + abbreviate(body), false);
      }
      String error = "";
      if (status != 200) {
        error = json.flatMap(AdminApi::errorMessage).orElse(abbreviate(body));
      }
      return new Response(status, json, error, false);
    } catch (SocketTimeoutException e) {
      return new Response(-1, Optional.empty(), "no answer within " + budget.toMillis() + " ms", true);
    } catch (IOException e) {
      return new Response(-1, Optional.empty(), e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()), false);
    } finally {
      c.disconnect();
    }
  }

  private static Optional<String> errorMessage(JsonObject body) {
    if (body.has("error") && body.get("error").isJsonObject()) {
      String m = Util.jsonString(body.getAsJsonObject("error"), "message");
      return m.isEmpty() ? Optional.empty() : Optional.of(abbreviate(m));
    }
    return Optional.empty();
  }

  static String abbreviate(String s) {
    return Util.abbreviate(s, 160);
  }
}
