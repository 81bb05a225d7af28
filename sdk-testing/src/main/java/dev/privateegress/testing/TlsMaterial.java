package dev.privateegress.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throw-away certificate authority and a server certificate signed by it, generated with the
 * {@code openssl} command line tool, for TLS tests on loopback.
 *
 * <p>The server certificate names the server the way Memorystore does: by IP address. It carries the
 * subject alternative names {@code IP:127.0.0.1} and {@code DNS:localhost}, and its CN is
 * {@code 127.0.0.1}. Everything is written into a fresh temporary directory that {@link #close()}
 * deletes.
 *
 * <pre>{@code
 * assumeTrue(TlsMaterial.opensslAvailable());
 * try (TlsMaterial tls = TlsMaterial.generate()) {
 *   Path ca = tls.caCertificate();   // point REDIS_TLS_CA here
 * }
 * }</pre>
 *
 * <p>Generating X.509 certificates with the JDK alone needs internal APIs, so this class needs
 * {@code openssl} on {@code PATH}; tests should skip (not fail) when {@link #opensslAvailable()} is
 * false.
 */
public final class TlsMaterial implements AutoCloseable {
  private final Path dir;

  private TlsMaterial(Path dir) {
    this.dir = dir;
  }

  /** True when an {@code openssl} executable is on {@code PATH}. */
  public static boolean opensslAvailable() {
    return RedisBinary.onPath("openssl") != null;
  }

  /**
   * Generates a CA (RSA 2048, valid 2 days) and a server key and certificate signed by it.
   *
   * @throws IllegalStateException when openssl is missing or fails; the message includes its output
   */
  public static TlsMaterial generate() {
    return generate(new String[0]);
  }

  /**
   * Like {@link #generate()}, with these IP addresses added to the server certificate's names (e.g. a
   * {@link NetworkLab} Memorystore address such as {@code 10.10.0.20}).
   */
  public static TlsMaterial generate(String... extraIps) {
    Path openssl = RedisBinary.onPath("openssl");
    if (openssl == null) {
      throw new IllegalStateException("openssl is not on PATH; TLS test material cannot be generated");
    }
    Path dir;
    try {
      dir = Files.createTempDirectory("private-egress-tls-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    TlsMaterial m = new TlsMaterial(dir);
    try {
      Path ext = dir.resolve("server.ext");
      Files.writeString(ext, String.join("\n",
          "basicConstraints=CA:FALSE",
          "keyUsage=digitalSignature,keyEncipherment",
          "extendedKeyUsage=serverAuth,clientAuth",
          "subjectAltName=IP:127.0.0.1,DNS:localhost" + extraSans(extraIps),
          ""), StandardCharsets.US_ASCII);
      String o = openssl.toString();
      run(dir, o, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
          "-subj", "/CN=private-egress-test-ca", "-keyout", "ca.key", "-out", "ca.pem");
      run(dir, o, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
          "-keyout", "server.key", "-out", "server.csr");
      run(dir, o, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
          "-CAcreateserial", "-days", "2", "-sha256", "-extfile", "server.ext", "-out", "server.pem");
      return m;
    } catch (IOException | RuntimeException e) {
      m.close();
      throw e instanceof RuntimeException r ? r : new UncheckedIOException((IOException) e);
    }
  }

  private static String extraSans(String... ips) {
    StringBuilder sb = new StringBuilder();
    for (String ip : ips) {
      sb.append(",IP:").append(DnsServer.literal(ip).getHostAddress());
    }
    return sb.toString();
  }

  private static void run(Path dir, String... command) throws IOException {
    Path log = dir.resolve("openssl.log");
    Process p = new ProcessBuilder(command).directory(dir.toFile())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("openssl timed out: " + String.join(" ", command));
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running openssl", e);
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException("openssl failed (exit " + p.exitValue() + "): " + String.join(" ", command)
          + "\n" + Files.readString(log, StandardCharsets.UTF_8));
    }
  }

  /** The CA certificate (PEM); what a client trusts, e.g. {@code REDIS_TLS_CA}. */
  public Path caCertificate() {
    return dir.resolve("ca.pem");
  }

  /** The server certificate (PEM), with IP SAN 127.0.0.1. */
  public Path serverCertificate() {
    return dir.resolve("server.pem");
  }

  /** The server's private key (PEM, unencrypted). */
  public Path serverKey() {
    return dir.resolve("server.key");
  }

  /** The directory holding every file; deleted by {@link #close()}. */
  public Path directory() {
    return dir;
  }

  /**
   * Writes a PEM bundle holding the CA certificates of all {@code materials}, in order (as during a
   * Memorystore CA rotation, when the file holds the old and the new CA).
   */
  public static Path bundle(Path target, TlsMaterial... materials) {
    List<String> parts = new ArrayList<>();
    try {
      for (TlsMaterial m : materials) {
        parts.add(Files.readString(m.caCertificate(), StandardCharsets.US_ASCII));
      }
      Files.writeString(target, String.join("", parts), StandardCharsets.US_ASCII);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes the directory and everything in it. */
  @Override
  public void close() {
    deleteTree(dir);
  }

  static void deleteTree(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    } catch (IOException | UncheckedIOException e) {
      // best effort: a temp directory left behind must not fail a test
    }
  }

  @Override
  public String toString() {
    return "TlsMaterial{" + dir + "}";
  }
}
