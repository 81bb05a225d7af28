package dev.privateegress.redis.internal;

import dev.privateegress.ConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

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

  /** Reads every certificate of a PEM file. */
  public static List<X509Certificate> readCertificates(Path pem, String variable) {
    try (InputStream in = Files.newInputStream(pem)) {
      Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
      List<X509Certificate> out = new ArrayList<>();
      for (Certificate c : certs) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw new ConfigurationException(variable, pem.toString(),
            "no PEM certificate found; the file must hold one or more -----BEGIN CERTIFICATE----- blocks "
                + "(Memorystore: the instance's server-ca.pem)");
      }
      return out;
    } catch (IOException e) {
      throw new ConfigurationException(variable, pem.toString(), "cannot read the file: " + e.getMessage(), e);
    } catch (CertificateException e) {
      throw new ConfigurationException(variable, pem.toString(),
          "not a PEM certificate file (" + e.getMessage() + "); expected -----BEGIN CERTIFICATE----- blocks", e);
    }
  }

  /**
   * A socket factory that trusts the CAs in {@code pem} (or the JDK's default trust store when null)
   * and verifies the server name as described above; {@code alsoAccept} are names the certificate may
   * carry instead of the dialled address (the configured host name when PRIVATE_EGRESS_HOSTS maps it
   * to an IP).
   */
  public static SSLSocketFactory socketFactory(Path pem, Set<String> alsoAccept) {
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      if (pem == null) {
        tmf.init((KeyStore) null);
      } else {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        int i = 0;
        for (X509Certificate c : readCertificates(pem, "REDIS_TLS_CA")) {
          ks.setCertificateEntry("ca-" + i++, c);
        }
        tmf.init(ks);
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return new Verifying(ctx.getSocketFactory(), alsoAccept);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  /**
   * Checks that {@code cert} names {@code host} (or one of {@code alsoAccept}).
   *
   * @throws SSLPeerUnverifiedException naming what the certificate does name
   */
  public static void verifyName(String host, Set<String> alsoAccept, X509Certificate cert)
      throws SSLPeerUnverifiedException {
    List<String> ipSans = new ArrayList<>();
    List<String> dnsSans = new ArrayList<>();
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          int type = (Integer) san.get(0);
          if (type == 7) {
            ipSans.add(String.valueOf(san.get(1)));
          } else if (type == 2) {
            dnsSans.add(String.valueOf(san.get(1)));
          }
        }
      }
    } catch (CertificateParsingException e) {
      throw new SSLPeerUnverifiedException("cannot read the certificate's subject alternative names: "
          + e.getMessage());
    }
    String cn = commonName(cert);
    List<String> names = new ArrayList<>();
    names.add(host);
    names.addAll(alsoAccept);
    for (String name : names) {
      if (isIpLiteral(name)) {
        InetAddress want = literal(name);
        for (String ip : ipSans) {
          if (want != null && want.equals(literal(ip))) {
            return;
          }
        }
        if (ipSans.isEmpty() && cn != null && want != null && want.equals(literal(cn))) {
          return;
        }
      } else {
        for (String dns : dnsSans) {
          if (dnsMatches(name, dns)) {
            return;
          }
        }
        if (dnsSans.isEmpty() && cn != null && dnsMatches(name, cn)) {
          return;
        }
      }
    }
    throw new SSLPeerUnverifiedException("the server certificate does not name " + String.join(" or ", names)
        + " (it names CN=" + cn + ", IP SANs " + ipSans + ", DNS SANs " + dnsSans + ")");
  }

  private static String commonName(X509Certificate cert) {
    try {
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return String.valueOf(rdn.getValue());
        }
      }
    } catch (InvalidNameException e) {
      return null;
    }
    return null;
  }

  static boolean dnsMatches(String host, String pattern) {
    String h = host.toLowerCase(Locale.ROOT);
    String p = pattern.toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    if (p.startsWith("*.")) {
      int dot = h.indexOf('.');
      return dot > 0 && h.substring(dot + 1).equals(p.substring(2)) && p.substring(2).contains(".");
    }
    return h.equals(p);
  }

  public static boolean isIpLiteral(String s) {
    return s.indexOf(':') >= 0 || s.matches("\\d{1,3}(\\.\\d{1,3}){3}");
  }

  private static InetAddress literal(String s) {
    if (s == null || !isIpLiteral(s)) {
      return null;
    }
    try {
      return InetAddress.getByName(s); // an IP literal: parsed, never looked up
    } catch (UnknownHostException e) {
      return null;
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
