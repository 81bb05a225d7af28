package dev.privateegress.http.internal;

import dev.privateegress.CheckKind;
import dev.privateegress.CheckResult;
import dev.privateegress.Target;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/** A TLS handshake with the JVM's default trust store and host-name verification, as OkHttp would do it. */
final class TlsCheck {
  private TlsCheck() {}

  static CheckResult check(Target target, List<InetAddress> addresses, Duration timeout) {
    long start = System.nanoTime();
    int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    InetAddress address = addresses.get(0);
    try (Socket raw = new Socket()) {
      raw.connect(new InetSocketAddress(address, target.port()), millis);
      raw.setSoTimeout(millis);
      SSLSocketFactory factory = (SSLSocketFactory) SSLSocketFactory.getDefault();
      try (SSLSocket tls = (SSLSocket) factory.createSocket(raw, target.host(), target.port(), true)) {
        SSLParameters params = tls.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        if (!isLiteral(target.host())) {
          params.setServerNames(List.of(new SNIHostName(target.host())));
        }
        tls.setSSLParameters(params);
        tls.startHandshake();
        String subject = "";
        Certificate[] chain = tls.getSession().getPeerCertificates();
        if (chain.length > 0 && chain[0] instanceof X509Certificate x) {
          subject = ", certificate " + x.getSubjectX500Principal().getName() + " valid until " + x.getNotAfter().toInstant();
        }
        return CheckResult.pass(target, CheckKind.TLS, millisSince(start),
            tls.getSession().getProtocol() + " with " + address.getHostAddress() + subject);
      }
    } catch (IOException e) {
      return CheckResult.fail(target, CheckKind.TLS, millisSince(start),
          "TLS handshake with " + address.getHostAddress() + ":" + target.port() + " failed: " + e.getMessage(),
          advice(target, e));
    }
  }

  private static String advice(Target target, IOException e) {
    if (e instanceof java.net.SocketTimeoutException) {
      return "no answer to the TLS handshake: port " + target.port() + " probably does not speak TLS (a plain "
          + "HTTP server waits silently for a request line); use http://, or the port where TLS terminates";
    }
    String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
    if (m.contains("unrecognized ssl message") || m.contains("plaintext") || m.contains("remote host terminated")) {
      return "port " + target.port() + " does not speak TLS: use http:// for this target, or the port where "
          + "the load balancer terminates TLS";
    }
    if (m.contains("pkix") || m.contains("certification path") || m.contains("trust")) {
      return "the certificate is not trusted by this JVM: an internal load balancer with a private CA "
          + "(Certificate Authority Service, self-signed) needs that CA in the trust store "
          + "(-Djavax.net.ssl.trustStore=...), or call it over http:// inside the VPC";
    }
    if (m.contains("no subject alternative") || m.contains("doesn't match") || m.contains("hostname")) {
      return "the certificate does not name " + target.host() + ": use the name the certificate was issued "
          + "for (with PRIVATE_EGRESS_HOSTS locally) or reissue it with this name";
    }
    return "the TLS handshake failed: check the port, the certificate and that a TLS-inspecting proxy or "
        + "firewall is not in the way";
  }

  private static boolean isLiteral(String host) {
    return host.indexOf(':') >= 0 || host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
  }

  private static long millisSince(long start) {
    return Duration.ofNanos(System.nanoTime() - start).toMillis();
  }
}
