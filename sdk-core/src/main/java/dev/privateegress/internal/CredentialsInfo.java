package dev.privateegress.internal;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.privateegress.Platform;
import dev.privateegress.PrivateEgress;
import dev.privateegress.TokenProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Says which credentials tokens would come from, without minting anything: a custom {@link TokenProvider},
 * else Application Default Credentials in google-auth's order ({@code GOOGLE_APPLICATION_CREDENTIALS}, the
 * gcloud application-default file, the metadata server on Google Cloud). Key files are read only for their
 * {@code type} and account e-mail; no secret is ever shown.
 */
public final class CredentialsInfo {
  private CredentialsInfo() {}

  /** One line, e.g. {@code metadata server (runtime@p.iam.gserviceaccount.com)}. */
  public static String describe(PrivateEgress egress) {
    TokenProvider provider;
    try {
      provider = egress.tokens();
    } catch (RuntimeException e) {
      return "cannot set up credentials: " + e.getMessage();
    }
    if (!(provider instanceof GoogleTokenProvider)) {
      return "custom TokenProvider (" + provider.getClass().getName() + ")";
    }
    Map<String, String> env = egress.environment();
    String file = env.get("GOOGLE_APPLICATION_CREDENTIALS");
    if (file != null && !file.isBlank()) {
      return describeFile(Path.of(file.trim()), "GOOGLE_APPLICATION_CREDENTIALS=" + file.trim());
    }
    Optional<Path> gcloud = gcloudAdcFile(env);
    if (gcloud.isPresent() && Files.isRegularFile(gcloud.get())) {
      return describeFile(gcloud.get(), "gcloud application-default credentials " + gcloud.get());
    }
    if (egress.platform() != Platform.LOCAL) {
      return "metadata server" + egress.serviceAccountEmail().map(e -> " (" + e + ")").orElse(
          " (service account e-mail unavailable)");
    }
    return "none: no GOOGLE_APPLICATION_CREDENTIALS, no gcloud application-default credentials and no metadata "
        + "server; run gcloud auth application-default login --impersonate-service-account=SA_EMAIL";
  }

  public static String describeFile(Path path, String origin) {
    JsonObject json;
    try {
      JsonElement e = JsonParser.parseString(Files.readString(path, StandardCharsets.UTF_8));
      if (!e.isJsonObject()) {
        return origin + ": not a credentials JSON file";
      }
      json = e.getAsJsonObject();
    } catch (IOException e) {
      return origin + ": cannot read the file (" + e.getClass().getSimpleName() + ")";
    } catch (JsonParseException e) {
      return origin + ": not a credentials JSON file";
    }
    String type = Jsons.string(json, "type");
    return switch (type) {
      case "service_account" -> "service-account key " + Jsons.string(json, "client_email") + " (" + origin + ")";
      case "impersonated_service_account" -> "impersonated " + impersonationTarget(json) + " via "
          + Jsons.object(json, "source_credentials").map(s -> Jsons.string(s, "type")).orElse("?")
          + " credentials (" + origin + ")";
      case "authorized_user" -> "user credentials (" + origin + "): access tokens only; ID tokens for an "
          + "audience need impersonation (gcloud auth application-default login "
          + "--impersonate-service-account=SA_EMAIL)";
      case "external_account" -> "workload identity federation (" + origin + ")";
      default -> origin + ": credentials type '" + type + "'";
    };
  }

  private static String impersonationTarget(JsonObject json) {
    String url = Jsons.string(json, "service_account_impersonation_url");
    int at = url.lastIndexOf("/serviceAccounts/");
    if (at < 0) {
      return "service account";
    }
    String rest = url.substring(at + "/serviceAccounts/".length());
    int colon = rest.indexOf(':');
    return colon < 0 ? rest : rest.substring(0, colon);
  }

  private static Optional<Path> gcloudAdcFile(Map<String, String> env) {
    String config = env.get("CLOUDSDK_CONFIG");
    if (config != null && !config.isBlank()) {
      return Optional.of(Path.of(config.trim(), "application_default_credentials.json"));
    }
    String appData = env.get("APPDATA");
    if (appData != null && !appData.isBlank()) {
      return Optional.of(Path.of(appData.trim(), "gcloud", "application_default_credentials.json"));
    }
    String home = env.get("HOME");
    if (home != null && !home.isBlank()) {
      return Optional.of(Path.of(home.trim(), ".config", "gcloud", "application_default_credentials.json"));
    }
    return Optional.empty();
  }
}
