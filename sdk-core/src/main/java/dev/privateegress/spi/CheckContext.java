package dev.privateegress.spi;

import dev.privateegress.CheckResult;
import dev.privateegress.PrivateEgress;
import dev.privateegress.Target;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLSocketFactory;

/**
 * What a {@link TargetChecker} is given: the instance it checks for, and the DNS, TCP, TLS and token
 * checks that every protocol starts with. Each failure carries advice built from the egress evidence known
 * at that moment (never triggering detection I/O itself); a checker adds its own protocol's advice.
 */
public interface CheckContext {
  /** The instance whose doctor or readiness check is running: its configuration, tokens, listener. */
  PrivateEgress egress();

  /**
   * Resolves the target (through {@code PRIVATE_EGRESS_HOSTS}, then the system resolver, bounded by
   * {@code timeout}) and, when that worked, opens and closes one TCP connection.
   */
  Reach reach(Target target, Duration timeout);

  /**
   * A TLS handshake over the first address that accepts TCP, verifying the chain with {@code factory} and
   * the certificate's names against the target host (HTTPS rules). Reports protocol, cipher suite, the
   * peer's subject and expiry; never sends application data.
   */
  CheckResult tls(Target target, List<InetAddress> addresses, Duration timeout, SSLSocketFactory factory);

  /**
   * The token check, when the target receives a token: an ID token for an http(s) host that has an
   * audience, an access token for the configured Redis target with {@code REDIS_IAM_AUTH=true}. Reports
   * audience, e-mail and expiry; the token text never appears. Empty when the target gets no token.
   */
  Optional<CheckResult> token(Target target);
}
