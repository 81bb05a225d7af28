package dev.privateegress.internal;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.ImpersonatedCredentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import dev.privateegress.TokenException;
import dev.privateegress.TokenProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Says which credentials tokens come from, without minting anything: a custom {@link TokenProvider}, else
 * the source {@link GoogleTokenProvider} itself chooses (explicit credentials, {@code
 * GOOGLE_APPLICATION_CREDENTIALS}, the metadata server, the gcloud application-default file, in that order),
 * so the doctor names exactly where tokens would come from. Key files are read only for their {@code type}
 * and account e-mail; no secret is ever shown.
 */
public final class CredentialsInfo {
  private CredentialsInfo() {}

  /** One line, e.g. {@code metadata server (runtime@p.iam.gserviceaccount.com)}. */
  public static String describe(EgressContext egress) {
    TokenProvider provider;
    try {
      provider = egress.tokens();
    } catch (RuntimeException e) {
      return "cannot set up credentials: " + e.getMessage();
    }
    if (!(provider instanceof GoogleTokenProvider google)) {
      return "custom TokenProvider (" + provider.getClass().getName() + ")";
    }
    GoogleTokenProvider.Choice choice;
    try {
      choice = google.choice();
    } catch (TokenException e) {
      return "none: " + e.getMessage();
    }
    return switch (choice.kind()) {
      case EXPLICIT -> describeExplicit(google.explicitCredentials());
      case FILE -> describeFile(choice.file(), choice.origin());
      case METADATA -> "metadata server" + egress.serviceAccountEmail().map(e -> " (" + e + ")").orElse(
          " (service account e-mail unavailable)");
    };
  }

  private static String describeExplicit(GoogleCredentials c) {
    String who;
    if (c instanceof ServiceAccountCredentials sa) {
      who = "service account " + sa.getClientEmail();
    } else if (c instanceof ImpersonatedCredentials imp) {
      who = "impersonated " + imp.getAccount();
    } else {
      who = c.getClass().getSimpleName();
    }
    return who + " (" + GoogleTokenProvider.EXPLICIT_ORIGIN + ")";
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
    String type = Util.jsonString(json, "type");
    return switch (type) {
      case "service_account" -> "service-account key " + Util.jsonString(json, "client_email") + " (" + origin + ")";
      case "impersonated_service_account" -> "impersonated " + impersonationTarget(json) + " via "
          + Util.jsonObject(json, "source_credentials").map(s -> Util.jsonString(s, "type")).orElse("?")
          + " credentials (" + origin + ")";
      case "authorized_user" -> "user credentials (" + origin + "): access tokens only; ID tokens for an "
          + "audience need impersonation (gcloud auth application-default login "
          + "--impersonate-service-account=SA_EMAIL)";
      case "external_account" -> "workload identity federation (" + origin + ")";
      default -> origin + ": credentials type '" + type + "'";
    };
  }

  private static String impersonationTarget(JsonObject json) {
    String url = Util.jsonString(json, "service_account_impersonation_url");
    int at = url.lastIndexOf("/serviceAccounts/");
    if (at < 0) {
      return "service account";
    }
    String rest = url.substring(at + "/serviceAccounts/".length());
    int colon = rest.indexOf(':');
    return colon < 0 ? rest : rest.substring(0, colon);
  }
}
