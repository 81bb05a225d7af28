package dev.privateegress.internal;

import com.google.auth.oauth2.GoogleCredentials;
import dev.privateegress.PrivateEgress;
import dev.privateegress.Token;
import dev.privateegress.TokenException;
import dev.privateegress.TokenProvider;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Default token provider: the metadata server, cached per audience. */
public final class GoogleTokenProvider implements TokenProvider {
  private static final Pattern EXP = Pattern.compile("\"exp\"\\s*:\\s*(\\d+)");
  private static final Pattern ACCESS = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"");
  private static final Pattern EXPIRES_IN = Pattern.compile("\"expires_in\"\\s*:\\s*(\\d+)");

  private final PrivateEgress egress;
  private final MetadataClient metadata;
  private final Map<String, Token> ids = new ConcurrentHashMap<>();
  private volatile Token access;

  public GoogleTokenProvider(PrivateEgress egress, MetadataClient metadata, GoogleCredentials credentials) {
    this.egress = egress;
    this.metadata = metadata;
  }

  @Override
  public synchronized Token idToken(String audience) {
    Token t = ids.get(audience);
    if (t != null && t.remaining(egress.clock().instant()).getSeconds() > 225) {
      return t;
    }
    try {
      String jwt = metadata.get("instance/service-accounts/default/identity?audience="
          + java.net.URLEncoder.encode(audience, StandardCharsets.UTF_8) + "&format=full")
          .orElseThrow(() -> new TokenException("no identity endpoint"));
      String payload = new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8);
      Matcher m = EXP.matcher(payload);
      Instant exp = m.find() ? Instant.ofEpochSecond(Long.parseLong(m.group(1))) : egress.clock().instant();
      t = new Token(jwt.trim(), exp);
      ids.put(audience, t);
      return t;
    } catch (MetadataException e) {
      throw new TokenException("ID token for audience " + audience + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized Token accessToken() {
    Token t = access;
    if (t != null && t.remaining(egress.clock().instant()).getSeconds() > 225) {
      return t;
    }
    try {
      String json = metadata.get("instance/service-accounts/default/token")
          .orElseThrow(() -> new TokenException("no token endpoint"));
      Matcher a = ACCESS.matcher(json);
      Matcher e = EXPIRES_IN.matcher(json);
      if (!a.find() || !e.find()) {
        throw new TokenException("malformed access token response");
      }
      t = new Token(a.group(1), egress.clock().instant().plusSeconds(Long.parseLong(e.group(1))));
      access = t;
      return t;
    } catch (MetadataException e) {
      throw new TokenException("access token: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized Token refreshIdToken(String audience, Token rejected) {
    ids.remove(audience, rejected);
    return idToken(audience);
  }
}
