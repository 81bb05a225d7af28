package dev.privateegress.redis.internal;

import dev.privateegress.ConfigurationException;
import dev.privateegress.internal.CertNames;
import dev.privateegress.internal.Pem;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * TLS for Memorystore: trust exactly the CAs in {@code REDIS_TLS_CA} (several allowed, for CA
 * rotation), always verify the chain, and check that the certificate names the server.
 *
 * <p>Memorystore names servers by IP. The JDK's built-in check ({@code
 * setEndpointIdentificationAlgorithm("HTTPS")}, which Jedis turns on when given no SSL parameters)
 * accepts an IP only from an IP subject-alternative name. This check accepts an IP SAN, or the IP as
 * the certificate's CN when the certificate has no IP SAN at all; DNS names match DNS SANs (one
 * left-most {@code *} label allowed), or the CN when there is no DNS SAN. It runs inside {@link
 * SSLSocketFactory#createSocket(Socket, String, int, boolean)}, right after the handshake, so a
 * mismatch fails the connection with {@link SSLPeerUnverifiedException}; it is never skipped.
 */
public final class RedisTls {
  private RedisTls() {}

  /**
   * A socket factory that trusts the CAs in {@code pem} (or the JDK's default trust store when null)
   * and verifies the server name as described above; {@code alsoAccept} are names the certificate may
   * carry instead of the dialled address (the configured host name when PRIVATE_EGRESS_HOSTS maps it
   * to an IP).
   *
   * @throws ConfigurationException naming {@code REDIS_TLS_CA} when the file cannot be read or holds no
   *     CA certificate
   */
  public static SSLSocketFactory socketFactory(Path pem, Set<String> alsoAccept) {
    SSLSocketFactory trusting;
    if (pem == null) {
      trusting = (SSLSocketFactory) SSLSocketFactory.getDefault();
    } else {
      try {
        trusting = Pem.trusting(pem);
      } catch (IOException e) {
        String why = e instanceof NoSuchFileException ? "no such file" : e.getMessage();
        throw new ConfigurationException("REDIS_TLS_CA", pem.toString(), "cannot use it as the Redis server CA ("
            + why + "): it must be a readable PEM file holding the instance's server CA certificate(s), i.e. "
            + "-----BEGIN CERTIFICATE----- blocks (Memorystore: download server-ca.pem from the console, or "
            + "gcloud redis instances describe INSTANCE --format='value(serverCaCerts)'); during a CA rotation "
            + "put the old and the new CA in the file", e);
      }
    }
    return new Verifying(trusting, alsoAccept);
  }

  /**
   * Checks that {@code cert} names {@code host} (or one of {@code alsoAccept}).
   *
   * @throws SSLPeerUnverifiedException naming what the certificate does name
   */
  public static void verifyName(String host, Set<String> alsoAccept, X509Certificate cert)
      throws SSLPeerUnverifiedException {
    List<String> names = new ArrayList<>();
    names.add(host);
    names.addAll(alsoAccept);
    Optional<String> mismatch = CertNames.mismatch(cert, names);
    if (mismatch.isPresent()) {
      throw new SSLPeerUnverifiedException("the server certificate does not name " + String.join(" or ", names)
          + " (it names " + mismatch.get() + ")");
    }
  }

  /** Handshakes and verifies the name before handing the socket to Jedis. */
  private static final class Verifying extends SSLSocketFactory {
    private final SSLSocketFactory delegate;
    private final Set<String> alsoAccept;

    Verifying(SSLSocketFactory delegate, Set<String> alsoAccept) {
      this.delegate = delegate;
      this.alsoAccept = Set.copyOf(alsoAccept);
    }

    private Socket verified(Socket s, String host) throws IOException {
      SSLSocket ssl = (SSLSocket) s;
      try {
        try {
          ssl.startHandshake(); // throws the real cause (untrusted chain, plaintext peer, ...)
        } catch (java.net.SocketTimeoutException | java.io.EOFException e) {
          // A plaintext Redis reads the ClientHello as an inline command and waits (or hangs up).
          javax.net.ssl.SSLHandshakeException h = new javax.net.ssl.SSLHandshakeException(
              "no TLS answer from " + host + ":" + s.getPort() + " (" + e.getMessage() + "); the port may speak plaintext");
          h.initCause(e);
          throw h;
        }
        Certificate[] chain = ssl.getSession().getPeerCertificates();
        verifyName(host, alsoAccept, (X509Certificate) chain[0]);
        return ssl;
      } catch (IOException | RuntimeException e) {
        ssl.close();
        throw e;
      }
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
      return verified(delegate.createSocket(s, host, port, autoClose), host);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return verified(delegate.createSocket(host, port), host);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
      return verified(delegate.createSocket(host, port, localHost, localPort), host);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return verified(delegate.createSocket(host, port), host.getHostAddress());
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
        throws IOException {
      return verified(delegate.createSocket(address, port, localAddress, localPort), address.getHostAddress());
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return delegate.getSupportedCipherSuites();
    }
  }
}
