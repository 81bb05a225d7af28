package dev.privateegress.internal;

import dev.privateegress.ConfigurationException;
import dev.privateegress.internal.ConfigSource.Raw;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Parsers for the Redis target: {@code REDIS_URL}, {@code REDISHOST} and {@code REDIS_AUTH}.
 *
 * <p>No secret, nor any part of one, appears in an error, whatever the syntax error. {@code REDIS_URL}
 * is split by hand rather than with {@link java.net.URI}: the user info ends at the <em>last</em>
 * {@code @}, so a password holding {@code #}, {@code ?}, {@code /} or {@code @} stays the password
 * instead of becoming a fragment, a path or a port that an error would quote. Messages show only the
 * parts that passed validation.
 */
public final class RedisUrlParser {
  private RedisUrlParser() {}

  /** The target in a {@code REDIS_URL}; {@code user} and {@code password} are null when absent. */
  public record Endpoint(String host, int port, String user, String password, int database, boolean tls) {
    @Override
    public String toString() {
      return "Endpoint{" + host + ":" + port + ", user=" + user + ", password=" + (password == null ? "none" : "****")
          + ", database=" + database + ", tls=" + tls + "}";
    }
  }

  private static final String EXPECTED = "expected redis://[user:password@]host:port[/db] or rediss://...";
  private static final Pattern SHOWN_HOST_PORT =
      Pattern.compile("([A-Za-z0-9._-]+|\\[[0-9A-Fa-f:.]+\\])(:[0-9]{0,5})?");
  private static final Pattern SHOWN_USER = Pattern.compile("[A-Za-z0-9._~-]*");
  private static final Pattern SHOWN_TAIL = Pattern.compile("/[A-Za-z0-9._-]{0,16}");

  /** Parses {@code REDIS_URL}. */
  public static Endpoint url(Raw raw) {
    String v = ConfigValues.stripLineSpace(raw.value());
    int sep = v.indexOf("://");
    if (sep < 0) {
      // Without "://" nothing says which part is a password, and the value may be a password pasted
      // into the wrong variable: show none of it.
      throw new ConfigurationException(raw.input(), "****", "not a URI; " + EXPECTED);
    }
    String scheme = v.substring(0, sep);
    String rest = v.substring(sep + 3);
    int at = rest.lastIndexOf('@');
    String userInfo = at < 0 ? null : rest.substring(0, at);
    String after = rest.substring(at + 1);
    int end = firstOf(after, "/?#");
    String hostPort = after.substring(0, end);
    String tail = after.substring(end);
    String shown = shown(scheme, userInfo, hostPort, tail);

    if (Util.hasControls(v)) {
      throw new ConfigurationException(raw.input(), shown,
          "it holds a control or invisible formatting character; remove it (percent-encode it in a password)");
    }
    String s = scheme.toLowerCase(Locale.ROOT);
    if (!s.equals("redis") && !s.equals("rediss")) {
      throw new ConfigurationException(raw.input(), shown,
          "scheme must be redis:// or rediss:// (TLS), e.g. redis://10.0.0.3:6379 or rediss://10.0.0.3:6378");
    }
    String user = null;
    String password = null;
    if (userInfo != null && !userInfo.isEmpty()) {
      int colon = userInfo.indexOf(':');
      // redis://secret@host: user info without a colon is the password
      String rawUser = colon < 0 ? null : userInfo.substring(0, colon);
      if (rawUser != null && rawUser.indexOf('@') >= 0) {
        // "user@x:pass@host" could split either way; refuse rather than guess which part is the secret.
        throw new ConfigurationException(raw.input(), shown,
            "the user name holds an '@'; percent-encode it as %40 (a password may hold '@' as written)");
      }
      String rawPassword = colon < 0 ? userInfo : userInfo.substring(colon + 1);
      user = rawUser == null || rawUser.isEmpty() ? null : percentDecode(raw, shown, rawUser);
      password = rawPassword.isEmpty() ? null : percentDecode(raw, shown, rawPassword);
    }
    if (hostPort.isEmpty()) {
      throw new ConfigurationException(raw.input(), shown, "no host; " + EXPECTED);
    }
    String host;
    String port = null;
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      host = close < 0 ? hostPort : hostPort.substring(1, close);
      String afterHost = close < 0 ? "" : hostPort.substring(close + 1);
      if (close < 0 || !Hosts.isIpLiteral(host) || host.indexOf(':') < 0
          || !afterHost.isEmpty() && !afterHost.startsWith(":")) {
        throw new ConfigurationException(raw.input(), shown,
            "not a valid IPv6 address in brackets; write e.g. redis://[fd00::3]:6379");
      }
      port = afterHost.isEmpty() ? null : afterHost.substring(1);
    } else {
      int colon = hostPort.indexOf(':');
      if (colon >= 0 && hostPort.indexOf(':', colon + 1) >= 0) {
        throw new ConfigurationException(raw.input(), shown,
            "an IPv6 address goes in brackets, e.g. redis://[fd00::3]:6379");
      }
      host = colon < 0 ? hostPort : hostPort.substring(0, colon);
      port = colon < 0 ? null : hostPort.substring(colon + 1);
      if (host.isEmpty()) {
        throw new ConfigurationException(raw.input(), shown, "no host; " + EXPECTED);
      }
      if (!Hosts.isIpLiteral(host) && !Hosts.isUriHostName(host)) {
        boolean showable = SHOWN_HOST_PORT.matcher(hostPort).matches();
        throw new ConfigurationException(raw.input(), shown, (showable ? "'" + host + "'" : "the host")
            + " is not a valid host name (letters, digits, '-' and '.' only; no '_'); "
            + "use the instance's IP address, e.g. redis://10.0.0.3:6379");
      }
    }
    int p = 6379;
    if (port != null) {
      if (ConfigValues.portProblem(port) != null) {
        // The port is not quoted: in a URL whose '@' went missing, it is what follows a password's colon.
        throw new ConfigurationException(raw.input(), shown,
            "the port is not a number 1-65535 written with the digits 0-9; expected redis://host:6379");
      }
      p = Integer.parseInt(port);
    }
    int db = 0;
    if (tail.startsWith("?") || tail.startsWith("#") || tail.indexOf('?') > 0 || tail.indexOf('#') > 0) {
      throw new ConfigurationException(raw.input(), shown,
          "query parameters and fragments are not supported; " + EXPECTED);
    }
    if (tail.length() > 1) {
      String digits = tail.substring(1);
      if (!Util.isAsciiDigits(digits, 9)) {
        throw new ConfigurationException(raw.input(), shown, "the path must be a database number, e.g. /0");
      }
      db = Integer.parseInt(digits);
    }
    return new Endpoint(host, p, user, password, db, s.equals("rediss"));
  }

  /**
   * Parses {@code REDISHOST}: a host name (underscores allowed) or an IP address, IPv6 with or without
   * brackets. Anything before an {@code @} is masked in errors: {@code :secret@10.0.0.3} shows as
   * {@code ****@10.0.0.3}.
   */
  public static String host(Raw raw) {
    String v = ConfigValues.stripLineSpace(raw.value());
    int at = v.lastIndexOf('@');
    String shown = at < 0 ? v : "****@" + v.substring(at + 1);
    if (Util.hasControls(v)) {
      throw new ConfigurationException(raw.input(), shown,
          "it holds a control or invisible formatting character; remove it");
    }
    if (at >= 0) {
      throw new ConfigurationException(raw.input(), shown, "expected a host name or IP only; put the AUTH "
          + "string in REDIS_AUTH, or a full URI with credentials in REDIS_URL");
    }
    if (v.contains("/")) {
      throw new ConfigurationException(raw.input(), shown,
          "expected a host name or IP only; put a full URI in REDIS_URL instead");
    }
    String h = v.startsWith("[") && v.endsWith("]") ? v.substring(1, v.length() - 1) : v;
    if (h.indexOf(':') >= 0 && !Hosts.isIpLiteral(h)) {
      throw new ConfigurationException(raw.input(), shown,
          "expected a host name or IP only; put the port in REDISPORT (e.g. REDISHOST=10.0.0.3 REDISPORT=6378)");
    }
    if (!Hosts.isIpLiteral(h) && !Hosts.isHostName(h, true)) {
      throw new ConfigurationException(raw.input(), shown,
          "not a host name (letters, digits, '-', '_' and '.' only); use the instance's IP address, "
              + "e.g. REDISHOST=10.0.0.3");
    }
    return h;
  }

  /**
   * Parses {@code REDIS_AUTH}: null when empty. Trailing line breaks are removed, because a secret
   * mounted from Secret Manager or written with {@code echo} usually ends with one and the server would
   * reject the string as a wrong password; any other control character is an error. Spaces are kept:
   * they may be part of a password.
   */
  public static String auth(Raw raw) {
    String v = raw.value();
    int end = v.length();
    while (end > 0 && (v.charAt(end - 1) == '\n' || v.charAt(end - 1) == '\r')) {
      end--;
    }
    v = v.substring(0, end);
    if (Util.hasControls(v)) {
      throw new ConfigurationException(raw.input(), "****", "it holds a control character (other than a "
          + "trailing line break, which is removed); write the AUTH string alone");
    }
    return v.isEmpty() ? null : v;
  }

  /**
   * {@code url} as it may be shown: any user info masked ({@code redis://app:****@10.0.0.3:6379}), and
   * nothing past the scheme when the rest does not look like {@code host:port/db}.
   */
  public static String masked(String url) {
    String v = ConfigValues.stripLineSpace(url);
    int sep = v.indexOf("://");
    if (sep < 0) {
      return "****";
    }
    String rest = v.substring(sep + 3);
    int at = rest.lastIndexOf('@');
    String after = rest.substring(at + 1);
    int end = firstOf(after, "/?#");
    return shown(v.substring(0, sep), at < 0 ? null : rest.substring(0, at), after.substring(0, end),
        after.substring(end));
  }

  private static String shown(String scheme, String userInfo, String hostPort, String tail) {
    StringBuilder b = new StringBuilder();
    b.append(scheme.matches("[A-Za-z][A-Za-z0-9+.-]{0,15}") ? scheme : "...").append("://");
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      if (colon < 0) {
        b.append("****@");
      } else {
        String user = userInfo.substring(0, colon);
        b.append(SHOWN_USER.matcher(user).matches() && user.length() <= 64 ? user : "****").append(":****@");
      }
    }
    if (hostPort.isEmpty() && tail.isEmpty()) {
      return b.toString();
    }
    if (!SHOWN_HOST_PORT.matcher(hostPort).matches()) {
      return b.append("...").toString();
    }
    b.append(hostPort);
    if (!tail.isEmpty()) {
      b.append(SHOWN_TAIL.matcher(tail).matches() ? tail : "/...");
    }
    return b.toString();
  }

  private static int firstOf(String s, String chars) {
    for (int i = 0; i < s.length(); i++) {
      if (chars.indexOf(s.charAt(i)) >= 0) {
        return i;
      }
    }
    return s.length();
  }

  /** RFC 3986 percent-decoding as UTF-8 ({@code +} stays a plus); errors never quote the input. */
  private static String percentDecode(Raw raw, String shown, String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '%') {
        byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
          bytes = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
          i++;
        }
        out.writeBytes(bytes);
        continue;
      }
      int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
      int lo = hi >= 0 ? Character.digit(s.charAt(i + 2), 16) : -1;
      if (hi < 0 || lo < 0 || s.charAt(i + 1) > 'f' || s.charAt(i + 2) > 'f') {
        throw new ConfigurationException(raw.input(), shown,
            "the user info holds a '%' that does not start a %XX escape; write a literal '%' as %25");
      }
      out.write(hi * 16 + lo);
      i += 2;
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(out.toByteArray())).toString();
    } catch (CharacterCodingException e) {
      throw new ConfigurationException(raw.input(), shown,
          "the user info's %XX escapes are not valid UTF-8; percent-encode the password's UTF-8 bytes");
    }
  }
}
