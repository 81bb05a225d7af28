package dev.privateegress.internal;

import dev.privateegress.Token;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tokens from the metadata server through {@link MetadataClient}, which honours the injected {@code
 * GCE_METADATA_HOST} and checks {@code Metadata-Flavor} both ways (google-auth's ComputeEngineCredentials
 * would read the real process environment instead).
 */
final class MetadataTokenSource implements TokenSource {
  static final String IDENTITY = "instance/service-accounts/default/identity";
  static final String TOKEN = "instance/service-accounts/default/token";

  private static final Pattern ACCESS = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"");
  private static final Pattern EXPIRES_IN = Pattern.compile("\"expires_in\"\\s*:\\s*(\\d+)");
  private static final Duration MAX_CONNECT = Duration.ofSeconds(1);
  private static final Duration MAX_READ = Duration.ofSeconds(4);

  private final MetadataClient metadata;
  private final Clock clock;

  MetadataTokenSource(MetadataClient metadata, Clock clock) {
    this.metadata = metadata;
    this.clock = clock;
  }

  @Override
  public Token idToken(String audience, boolean full, Duration budget) throws IOException {
    String path = IDENTITY + "?audience=" + URLEncoder.encode(audience, StandardCharsets.UTF_8)
        + (full ? "&format=full" : "");
    String jwt = get(path, budget).strip();
    return Util.idToken(jwt, "the metadata server at " + metadata.host());
  }

  @Override
  public Token accessToken(Duration budget) throws IOException {
    String json = get(TOKEN, budget);
    Matcher a = ACCESS.matcher(json);
    Matcher e = EXPIRES_IN.matcher(json);
    if (!a.find() || !e.find()) {
      // Never echo the body: it may hold a token.
      throw new IOException("the metadata server at " + metadata.host() + " answered " + TOKEN
          + " without access_token/expires_in (" + json.length() + " bytes)");
    }
    return new Token(a.group(1), clock.instant().plusSeconds(Long.parseLong(e.group(1))));
  }

  private String get(String path, Duration budget) throws MetadataException {
    Duration connect = budget.compareTo(MAX_CONNECT) < 0 ? budget : MAX_CONNECT;
    Duration read = budget.compareTo(MAX_READ) < 0 ? budget : MAX_READ;
    String base = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    return metadata.get(path, connect, read).orElseThrow(() -> new MetadataException("the metadata server at "
        + metadata.host() + " has no " + base + " (HTTP 404); this runtime has no service account attached",
        404));
  }

  @Override
  public String description() {
    return "the metadata server at " + metadata.host();
  }
}
