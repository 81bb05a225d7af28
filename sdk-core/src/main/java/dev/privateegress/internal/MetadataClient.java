package dev.privateegress.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URL;
import java.time.Duration;
import java.util.Optional;

/**
 * A small, synchronous client for the GCE/serverless metadata server. Every request carries {@code
 * Metadata-Flavor: Google} and every response must carry it back: a 200 without it comes from something
 * else (a captive portal, a DNS hijack) and is rejected. Uses {@link HttpURLConnection} so it starts no
 * threads; connections are not kept alive because tokens are cached and calls are rare.
 */
public final class MetadataClient {
  /** The metadata server by IP, which avoids a DNS lookup of {@code metadata.google.internal}. */
  public static final String DEFAULT_HOST = "169.254.169.254";

  private static final int MAX_BODY = 1 << 20;

  private final String host;
  private final Duration connectTimeout;
  private final Duration readTimeout;

  public MetadataClient(String host, Duration connectTimeout, Duration readTimeout) {
    this.host = host;
    this.connectTimeout = connectTimeout;
    this.readTimeout = readTimeout;
  }

  /** The connect timeout of a read with no deadline of its own. */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /** The read timeout of a read with no deadline of its own. */
  public Duration readTimeout() {
    return readTimeout;
  }

  /** The {@code host[:port]} requests go to. */
  public String host() {
    return host;
  }

  /** {@code http://host/computeMetadata/v1/}. */
  public String baseUrl() {
    return "http://" + host + "/computeMetadata/v1/";
  }

  /**
   * GETs {@code path} (relative to {@code /computeMetadata/v1/}, may carry a query string).
   *
   * @return the body, or empty on 404
   * @throws MetadataException on other statuses, a missing {@code Metadata-Flavor} header, or I/O failure
   */
  public Optional<String> get(String path) throws MetadataException {
    return get(path, connectTimeout, readTimeout);
  }

  /** Like {@link #get(String)} with explicit timeouts (e.g. the remainder of a caller's deadline). */
  public Optional<String> get(String path, Duration connect, Duration read) throws MetadataException {
    String url = baseUrl() + path;
    HttpURLConnection c;
    try {
      c = (HttpURLConnection) new URL(url).openConnection(Proxy.NO_PROXY);
    } catch (IOException e) {
      throw new MetadataException("metadata server " + host + ": cannot open " + path + ": " + e, e);
    }
    try {
      c.setConnectTimeout(Util.timeoutMillis(connect));
      c.setReadTimeout(Util.timeoutMillis(read));
      c.setInstanceFollowRedirects(false);
      c.setUseCaches(false);
      c.setRequestProperty("Metadata-Flavor", "Google");
      c.setRequestProperty("Connection", "close");
      int status = c.getResponseCode();
      String flavor = c.getHeaderField("Metadata-Flavor");
      if (!"Google".equals(flavor)) {
        drain(c);
        throw new MetadataException("metadata server " + host + " answered " + path + " with HTTP " + status
            + " but without the 'Metadata-Flavor: Google' header; this is not a metadata server "
            + "(check GCE_METADATA_HOST, or a proxy/captive portal answering in its place)", status);
      }
      if (status == 404) {
        drain(c);
        return Optional.empty();
      }
      if (status != 200) {
        String body = Util.readBody(c.getErrorStream(), MAX_BODY);
        throw new MetadataException("metadata server " + host + " answered " + path + " with HTTP " + status
            + (body.isBlank() ? "" : ": " + Util.abbreviate(body, 200)), status);
      }
      return Optional.of(Util.readBody(c.getInputStream(), MAX_BODY));
    } catch (MetadataException e) {
      throw e;
    } catch (IOException e) {
      throw new MetadataException("metadata server " + host + " unreachable for " + path + ": " + e, e);
    } finally {
      c.disconnect();
    }
  }

  private static void drain(HttpURLConnection c) {
    try (InputStream in = c.getResponseCode() >= 400 ? c.getErrorStream() : c.getInputStream()) {
      if (in != null) {
        in.readAllBytes();
      }
    } catch (IOException ignored) {
      // The connection is closed right after; nothing to recover.
    }
  }

  @Override
  public String toString() {
    return "MetadataClient{" + host + "}";
  }

  /** A metadata-server request failed; {@link #status()} is -1 for network failures. */
  public static final class MetadataException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int status;

    public MetadataException(String message, int status) {
      super(message);
      this.status = status;
    }

    public MetadataException(String message, Throwable cause) {
      super(message, cause);
      this.status = -1;
    }

    /** HTTP status, or -1 when no valid metadata response arrived. */
    public int status() {
      return status;
    }

    /** 5xx, 429, timeouts and connection failures are worth retrying. */
    public boolean retryable() {
      return status == -1 || status == 429 || status >= 500;
    }
  }
}
