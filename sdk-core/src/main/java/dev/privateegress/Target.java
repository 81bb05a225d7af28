package dev.privateegress;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;

/**
 * Something to check or wait for: an {@code http(s)://} URL, a {@code redis://}/{@code rediss://}
 * URI, or {@code tcp://host:port}. Parsed strictly; {@link #toString()} masks any password.
 */
public final class Target {
  private final String scheme;
  private final String host;
  private final int port;
  private final URI uri;

  private Target(String scheme, String host, int port, URI uri) {
    this.scheme = scheme;
    this.host = host;
    this.port = port;
    this.uri = uri;
  }

  /**
   * Parses a target.
   *
   * @throws ConfigurationException naming the target when the scheme, host or port is missing or wrong
   */
  public static Target parse(String text) {
    Objects.requireNonNull(text, "target");
    String shown = maskUserInfo(text);
    URI uri;
    try {
      uri = new URI(text.trim());
    } catch (URISyntaxException e) {
      throw new ConfigurationException("target", shown,
          "not a URI (" + e.getReason() + "); use http(s)://host[:port]/path, redis(s)://host:port or tcp://host:port");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    int defaultPort;
    switch (scheme) {
      case "http" -> defaultPort = 80;
      case "https" -> defaultPort = 443;
      case "redis", "rediss" -> defaultPort = 6379;
      case "tcp" -> defaultPort = -1;
      default -> throw new ConfigurationException("target", shown,
          "unsupported scheme '" + scheme + "'; use http://, https://, redis://, rediss:// or tcp://host:port");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new ConfigurationException("target", shown,
          "no host; write e.g. " + scheme + "://10.0.0.5:" + (defaultPort > 0 ? defaultPort : 5432));
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = uri.getPort();
    String authority = uri.getRawAuthority();
    if (port == -1 && authority != null && authority.endsWith(":")) {
      // java.net.URI reads "host:" as no port at all; the colon says a port was meant
      throw new ConfigurationException("target", shown, "empty port after ':'; write e.g. " + scheme + "://"
          + uri.getHost() + ":" // IPv6 keeps its brackets here
          + (defaultPort > 0 ? defaultPort : 5432) + ", or leave the colon out for the default port");
    }
    if (port == -1) {
      if (defaultPort == -1) {
        throw new ConfigurationException("target", shown, "tcp:// needs a port, e.g. tcp://127.0.0.1:5432");
      }
      port = defaultPort;
    }
    if (port < 1 || port > 65535) {
      throw new ConfigurationException("target", shown, "port must be 1-65535");
    }
    return new Target(scheme, host, port, uri);
  }

  /**
   * Masks the password of any user info. Masks up to the <em>last</em> {@code @}, because an unencoded
   * {@code @} (or {@code /}) inside a password would otherwise leave part of it visible; over-masking a
   * path that holds an {@code @} is the safe failure.
   */
  static String maskUserInfo(String text) {
    int sep = text.indexOf("://");
    int start = sep < 0 ? 0 : sep + 3;
    int at = text.lastIndexOf('@');
    if (at < start) {
      return text;
    }
    String userInfo = text.substring(start, at);
    int colon = userInfo.indexOf(':');
    String masked = colon < 0 ? "****" : userInfo.substring(0, colon) + ":****";
    return text.substring(0, start) + masked + text.substring(at);
  }

  /** Lower-case scheme: {@code http}, {@code https}, {@code redis}, {@code rediss} or {@code tcp}. */
  public String scheme() {
    return scheme;
  }

  /** Host name or IP literal (IPv6 without brackets). */
  public String host() {
    return host;
  }

  /** Explicit port, else the scheme's default (80, 443, 6379). */
  public int port() {
    return port;
  }

  /** The parsed URI, including any user info; do not log it. */
  public URI uri() {
    return uri;
  }

  /** True for https and rediss. */
  public boolean tls() {
    return scheme.equals("https") || scheme.equals("rediss");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Target t && t.uri.equals(uri);
  }

  @Override
  public int hashCode() {
    return uri.hashCode();
  }

  /** The target as written, with any password masked. */
  @Override
  public String toString() {
    return maskUserInfo(uri.toString());
  }
}
