package dev.privateegress.redis.internal;

import dev.privateegress.CheckKind;
import dev.privateegress.CheckResult;
import dev.privateegress.PrivateEgress;
import dev.privateegress.RedisSettings;
import dev.privateegress.Target;
import dev.privateegress.TokenException;
import dev.privateegress.internal.UserInfo;
import dev.privateegress.redis.internal.Endpoint.EndpointSocketFactory;
import dev.privateegress.spi.CheckContext;
import dev.privateegress.spi.Reach;
import dev.privateegress.spi.TargetChecker;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Doctor and readiness checks for {@code redis://} and {@code rediss://} targets: DNS, TCP, TLS (for
 * rediss, or when {@code REDIS_TLS_CA} is configured for this host and port), then AUTH and PING.
 * Credentials come from the target's user info, else from the Redis variables when the target is the
 * configured host and port. Side-effect free: nothing is written; no secret appears in results. Adds Redis and
 * Memorystore hints to core's protocol-neutral DNS, TCP and token checks: the TLS port of in-transit encryption
 * and the IAM roles Memorystore asks for.
 */
public final class RedisChecker implements TargetChecker {
  static final String TLS_PORT_HINT = " Memorystore with in-transit encryption listens on 6378, not 6379.";
  static final String IAM_ROLES_HINT = "; the principal also needs roles/redis.dbConnectionUser "
      + "(Valkey: roles/memorystore.dbConnectionUser)";

  /** {@code results} with the 6378 hint added to a TCP check that was refused on port 6379. */
  static List<CheckResult> withPortHint(Target target, List<CheckResult> results) {
    List<CheckResult> out = new ArrayList<>(results.size());
    for (CheckResult r : results) {
      boolean refused = r.check() == CheckKind.TCP && !r.ok()
          && r.detail().toLowerCase(Locale.ROOT).contains("refused");
      out.add(refused && target.port() == 6379 && !r.advice().startsWith("nothing listens")
          ? new CheckResult(r.target(), r.check(), false, r.millis(), r.detail(), r.advice() + TLS_PORT_HINT)
          : r);
    }
    return out;
  }

  /** A failed access-token check with the Memorystore IAM roles added. */
  static CheckResult withIamRoles(CheckResult token) {
    return token.ok() ? token
        : new CheckResult(token.target(), token.check(), false, token.millis(), token.detail(),
            token.advice() + IAM_ROLES_HINT);
  }

  @Override
  public Set<String> schemes() {
    return Set.of("redis", "rediss");
  }

  @Override
  public List<CheckResult> check(CheckContext context, Target target, Purpose purpose, Duration timeout) {
    PrivateEgress egress = context.egress();
    Reach reach = context.reach(target, timeout);
    List<CheckResult> results = withPortHint(target, reach.results());
    if (!reach.ok()) {
      return results;
    }
    Optional<RedisSettings> configured = egress.config().redis()
        .filter(s -> s.host().equalsIgnoreCase(target.host()) && s.port() == target.port());
    boolean tls = target.tls() || configured.map(RedisSettings::tls).orElse(false);
    Path ca = configured.flatMap(RedisSettings::caFile).orElse(null);
    // Every address DNS found, in order, within the timeout: the first that accepts is the one the tcp
    // row reports, and the one the TLS and redis rows speak to.
    List<InetAddress> addresses = reach.addresses();
    String first = addresses.get(0).getHostAddress();
    Set<String> alsoAccept = first.equalsIgnoreCase(target.host()) ? Set.of() : Set.of(target.host());
    Endpoint ep = endpoint(target, configured, tls, ca, first);
    SSLSocketFactory factory = null;
    if (tls) {
      try {
        factory = RedisTls.socketFactory(ca, alsoAccept);
      } catch (RuntimeException e) {
        results.add(CheckResult.fail(target, CheckKind.TLS, 0, e.getMessage(),
            "fix REDIS_TLS_CA: it must be a readable PEM file with the instance's server CA certificate(s)"));
        return results;
      }
      CheckResult t = tlsCheck(target, factory, addresses, ca, ep, timeout);
      results.add(t);
      if (!t.ok()) {
        return results;
      }
    }
    if (purpose == Purpose.DOCTOR) {
      // The doctor's token check, here so that its advice can name Memorystore's IAM roles.
      context.token(target).map(RedisChecker::withIamRoles).ifPresent(results::add);
    }
    results.add(redisCheck(egress, target, configured, ep, factory, addresses, timeout));
    return results;
  }

  private static Endpoint endpoint(Target target, Optional<RedisSettings> configured, boolean tls, Path ca,
      String dialled) {
    Optional<UserInfo> credentials = UserInfo.of(target.uri());
    boolean iam = credentials.isEmpty() && configured.map(RedisSettings::iamAuth).orElse(false);
    Optional<String> user = Optional.empty();
    boolean hasPassword = false;
    if (credentials.isPresent()) {
      user = Optional.ofNullable(credentials.get().user());
      hasPassword = credentials.get().password() != null;
    } else if (configured.isPresent()) {
      user = configured.get().username();
      hasPassword = configured.get().password().isPresent();
    }
    return new Endpoint(target.host(), dialled, target.port(), tls, Optional.ofNullable(ca), iam, user, hasPassword);
  }

  private static CheckResult tlsCheck(Target target, SSLSocketFactory factory, List<InetAddress> addresses,
      Path ca, Endpoint ep, Duration timeout) {
    long start = System.nanoTime();
    int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    EndpointSocketFactory sockets = new EndpointSocketFactory(() -> addresses,
        new HostAndPort(target.host(), target.port()), ep.label(), ms, ms,
        factory, null, null);
    try (Socket socket = sockets.createSocket()) {
      SSLSocket s = (SSLSocket) socket;
      X509Certificate cert = (X509Certificate) s.getSession().getPeerCertificates()[0];
      return CheckResult.pass(target, CheckKind.TLS, millis(start), s.getSession().getProtocol() + " with "
          + literal(s.getInetAddress()) + ", certificate " + cert.getSubjectX500Principal().getName() + " valid until "
          + cert.getNotAfter().toInstant() + ", chain verified against "
          + (ca == null ? "the JDK trust store" : "REDIS_TLS_CA=" + ca));
    } catch (IOException | RuntimeException e) {
      Failures.Kind kind = Failures.classify(e);
      if (kind != Failures.Kind.TLS_UNTRUSTED && kind != Failures.Kind.TLS_HOSTNAME) {
        kind = Failures.Kind.TLS_HANDSHAKE;
      }
      return CheckResult.fail(target, CheckKind.TLS, millis(start), Failures.shortCause(e),
          Failures.advice(kind, ep, e));
    }
  }

  /** {@code 10.0.0.3}, or {@code [::1]}. */
  private static String literal(InetAddress a) {
    String h = a.getHostAddress();
    return h.indexOf(':') >= 0 ? "[" + h + "]" : h;
  }

  private static CheckResult redisCheck(PrivateEgress egress, Target target, Optional<RedisSettings> configured,
      Endpoint ep, SSLSocketFactory factory, List<InetAddress> addresses, Duration timeout) {
    long start = System.nanoTime();
    int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    // as the client's connections: a plain AUTH, no HELLO
    DefaultJedisClientConfig.Builder b = JedisVersions.plainResp2(DefaultJedisClientConfig.builder())
        .connectionTimeoutMillis(ms).socketTimeoutMillis(ms);
    String who = "no AUTH";
    Optional<UserInfo> credentials = UserInfo.of(target.uri());
    try {
      if (credentials.isPresent()) {
        UserInfo c = credentials.get();
        if (c.password() != null) {
          b.user(c.user()).password(c.password());
          who = "AUTH as " + (c.user() == null ? "default" : c.user()) + " (password from the target URI)";
        }
      } else if (configured.isPresent() && configured.get().iamAuth()) {
        b.password(egress.tokens().accessToken().value()).user("default");
        who = "AUTH as default with the service account's access token (IAM)";
      } else if (configured.isPresent() && configured.get().password().isPresent()) {
        b.user(configured.get().username().orElse(null)).password(configured.get().password().get());
        who = "AUTH as " + configured.get().username().orElse("default") + " (REDIS_AUTH / REDIS_URL)";
      }
    } catch (TokenException e) {
      return CheckResult.fail(target, CheckKind.REDIS, millis(start), "no access token for IAM auth: "
          + e.getMessage(), "IAM auth needs the runtime service account's access token; check the metadata "
          + "server or credentials (see the token check)");
    }
    EndpointSocketFactory sockets = new EndpointSocketFactory(() -> addresses,
        new HostAndPort(target.host(), target.port()), ep.label(), ms, ms,
        ep.tls() ? factory : null, null, null);
    try (Connection c = new Connection(sockets, b.build())) {
      Object pong = c.executeCommand(Protocol.Command.PING);
      String reply = pong instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(pong);
      Socket used = sockets.takeCreated();
      String via = used == null ? "" : " via " + literal(used.getInetAddress()) + ":" + target.port();
      return CheckResult.pass(target, CheckKind.REDIS, millis(start), who + via + ", PING -> " + reply);
    } catch (JedisException e) {
      Failures.Kind kind = Failures.classify(e);
      String advice = Failures.advice(kind, ep, e);
      if (kind == Failures.Kind.AUTH) {
        egress.listener().redisAuthFailed(ep.label(), advice);
      }
      return CheckResult.fail(target, CheckKind.REDIS, millis(start), who + ": " + Failures.shortCause(e), advice);
    }
  }

  private static long millis(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
  }

  @Override
  public String toString() {
    return "RedisChecker" + schemes().toString().toLowerCase(Locale.ROOT);
  }
}
