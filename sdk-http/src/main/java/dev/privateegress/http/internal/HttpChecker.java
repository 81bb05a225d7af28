package dev.privateegress.http.internal;

import dev.privateegress.CheckKind;
import dev.privateegress.CheckResult;
import dev.privateegress.NetworkChecks;
import dev.privateegress.PrivateEgress;
import dev.privateegress.Target;
import dev.privateegress.TargetChecker;
import dev.privateegress.http.TokenUnavailableException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLSocketFactory;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Doctor and readiness checks for {@code http(s)://} targets: DNS, TCP, TLS (https), ID-token mint for the
 * host's audience (the token is never shown), and an HTTP HEAD through the SDK's own client (DNS overrides
 * and token injection, no retries). Registered through {@code META-INF/services}.
 */
public final class HttpChecker implements TargetChecker {
  @Override
  public Set<String> schemes() {
    return Set.of("http", "https");
  }

  @Override
  public List<CheckResult> check(PrivateEgress egress, Target target, Purpose purpose, Duration timeout) {
    NetworkChecks.Reach reach = NetworkChecks.reach(egress, target, timeout);
    List<CheckResult> results = new ArrayList<>(reach.results());
    if (!reach.ok()) {
      return results;
    }
    if (target.tls()) {
      CheckResult tls = NetworkChecks.tls(egress, target, reach.addresses(), timeout,
          (SSLSocketFactory) SSLSocketFactory.getDefault());
      results.add(tls);
      if (!tls.ok()) {
        return results;
      }
    }
    Optional<String> audience = egress.config().audienceFor(target.host(), target.tls());
    Optional<CheckResult> token = NetworkChecks.token(egress, target);
    if (token.isPresent()) {
      results.add(token.get());
      if (!token.get().ok()) {
        return results;
      }
    }
    results.add(head(egress, target, purpose, timeout, audience));
    return results;
  }

  static CheckResult head(PrivateEgress egress, Target target, Purpose purpose, Duration timeout,
      Optional<String> audience) {
    long start = System.nanoTime();
    HttpUrl url = HttpUrl.get(target.uri());
    OkHttpClient client = HttpClients.forChecks(egress, timeout);
    try (Response r = client.newCall(new Request.Builder().url(url).head().build()).execute()) {
      int code = r.code();
      String detail = "HEAD " + url.redact() + " -> " + code
          + (audience.isPresent() ? " (with an ID token for " + audience.get() + ")" : " (no token sent)");
      long millis = millisSince(start);
      if (purpose == Purpose.READINESS ? code < 500 : code < 400) {
        return CheckResult.pass(target, CheckKind.HTTP, millis, detail);
      }
      if (code == 401 || code == 403) {
        return CheckResult.fail(target, CheckKind.HTTP, millis, detail, authAdvice(target, code, audience));
      }
      if (code >= 500) {
        return CheckResult.fail(target, CheckKind.HTTP, millis, detail,
            "the target is reachable but failing (upstream error " + code + "): check the backend's logs and "
                + "health; a load balancer answers 502/503 when no healthy backend is behind it");
      }
      return CheckResult.pass(target, CheckKind.HTTP, millis, detail + "; the server answers HTTP");
    } catch (TokenUnavailableException e) {
      return CheckResult.fail(target, CheckKind.HTTP, millisSince(start), e.getMessage(),
          "fix the token check first");
    } catch (IOException e) {
      String what = e instanceof SocketTimeoutException ? "no HTTP answer within " + timeout.toMillis() + " ms"
          : e.toString();
      return CheckResult.fail(target, CheckKind.HTTP, millisSince(start),
          "HEAD " + url.redact() + " failed: " + what,
          "TCP connects but HTTP does not answer: the port may speak another protocol (http vs https), or the "
              + "backend hangs; check the backend and the load balancer's health checks");
    } finally {
      client.connectionPool().evictAll();
    }
  }

  private static String authAdvice(Target target, int code, Optional<String> audience) {
    String host = target.host();
    if (audience.isEmpty()) {
      return "the target demands authentication but " + host + " gets no ID token: add it to "
          + "PRIVATE_EGRESS_AUDIENCES (e.g. " + host + "=https://" + host + ", or the audience the target expects)";
    }
    if (code == 401) {
      return "the target rejected the ID token: the audience " + audience.get() + " is probably not the one it "
          + "expects (Cloud Run: the service URL or a custom audience set on the service; IAP: the OAuth client "
          + "ID); fix PRIVATE_EGRESS_AUDIENCES. If the app itself uses Authorization, send the token in "
          + "X-Serverless-Authorization (PRIVATE_EGRESS_TOKEN_HEADER)";
    }
    return "the token was accepted but the caller may not invoke the target: grant roles/run.invoker (Cloud Run) "
        + "or IAP-secured Web App User (IAP) to this runtime's service account; a wrong audience "
        + "(" + audience.get() + ") can also end in 403";
  }

  private static long millisSince(long start) {
    return Duration.ofNanos(System.nanoTime() - start).toMillis();
  }
}
