package dev.privateegress.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/** Trust built from a PEM file of one or more CA certificates (e.g. Memorystore's server-ca.pem). */
public final class Pem {
  private Pem() {}

  /**
   * The certificates in {@code pemFile}: reads and parses only, builds no TLS machinery.
   *
   * @throws IOException naming the file when it cannot be read or holds no certificate
   */
  public static Collection<? extends Certificate> certificates(Path pemFile) throws IOException {
    try (InputStream in = Files.newInputStream(pemFile)) {
      Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new IOException(pemFile + " holds no PEM certificate");
      }
      return certs;
    } catch (GeneralSecurityException e) {
      throw new IOException(pemFile + " is not a PEM file of CA certificates: " + e.getMessage(), e);
    }
  }

  /**
   * An {@link SSLSocketFactory} that trusts exactly the CAs in {@code pemFile}.
   *
   * @throws IOException naming the file when it cannot be read or holds no certificate
   */
  public static SSLSocketFactory trusting(Path pemFile) throws IOException {
    Collection<? extends Certificate> certs = certificates(pemFile);
    try {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      int i = 0;
      for (Certificate c : certs) {
        ks.setCertificateEntry("ca-" + i++, c);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx.getSocketFactory();
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot trust the certificates in " + pemFile + ": " + e.getMessage(), e);
    }
  }
}
