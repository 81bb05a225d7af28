package dev.privateegress;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Real servers on 127.0.0.1 for TLS checks: a TLS server whose certificate (made once per JVM with the
 * JDK's keytool) names {@code api.internal.test} and {@code IP:127.0.0.1}, a plaintext HTTP-ish server that
 * answers a ClientHello with text, and a silent server that never says anything (like Redis waiting for a
 * command).
 */
final class TlsServer implements AutoCloseable {
  static final String CERT_HOST = "api.internal.test";
  private static final String PASSWORD = "changeit";
  private static Path dir;

  enum Kind {
    TLS,
    PLAINTEXT,
    SILENT
  }

  private final ServerSocket server;
  private final Thread thread;

  private TlsServer(ServerSocket server, Kind kind) {
    this.server = server;
    this.thread = new Thread(() -> serve(kind), "tls-test-server");
    thread.setDaemon(true);
    thread.start();
  }

  static TlsServer start(Kind kind) {
    try {
      ServerSocket s;
      if (kind == Kind.TLS) {
        s = serverContext().getServerSocketFactory().createServerSocket(0, 16, InetAddress.getLoopbackAddress());
      } else {
        s = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
      }
      return new TlsServer(s, kind);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int port() {
    return server.getLocalPort();
  }

  /** The server's certificate as PEM, for REDIS_TLS_CA or a trusting socket factory. */
  static synchronized Path caPem() {
    return keys().resolve("server.pem");
  }

  private void serve(Kind kind) {
    while (!server.isClosed()) {
      try (Socket s = server.accept()) {
        s.setSoTimeout(5000);
        switch (kind) {
          case TLS -> {
            try {
              ((SSLSocket) s).startHandshake();
            } catch (IOException e) {
              // the client refused our certificate: that is what some tests want
            }
          }
          case PLAINTEXT -> {
            InputStream in = s.getInputStream();
            in.read(new byte[512]);
            OutputStream out = s.getOutputStream();
            out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
            out.flush();
          }
          case SILENT -> {
            try {
              s.getInputStream().read(new byte[512]);
              TimeUnit.SECONDS.sleep(3); // hold the connection without answering
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
          }
        }
      } catch (IOException e) {
        if (server.isClosed()) {
          return;
        }
      }
    }
  }

  private static SSLContext serverContext() {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(keys().resolve("server.p12"))) {
        ks.load(in, PASSWORD.toCharArray());
      }
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, PASSWORD.toCharArray());
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      return ctx;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static synchronized Path keys() {
    if (dir != null) {
      return dir;
    }
    try {
      Path d = Files.createTempDirectory("private-egress-tls");
      d.toFile().deleteOnExit();
      String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
      run(List.of(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
          "-dname", "CN=" + CERT_HOST, "-ext", "SAN=dns:" + CERT_HOST + ",ip:127.0.0.1", "-validity", "30",
          "-storetype", "PKCS12", "-keystore", d.resolve("server.p12").toString(),
          "-storepass", PASSWORD, "-keypass", PASSWORD));
      run(List.of(keytool, "-exportcert", "-rfc", "-alias", "server", "-keystore",
          d.resolve("server.p12").toString(), "-storepass", PASSWORD, "-file", d.resolve("server.pem").toString()));
      d.resolve("server.p12").toFile().deleteOnExit();
      d.resolve("server.pem").toFile().deleteOnExit();
      dir = d;
      return d;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void run(List<String> command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("keytool failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      p.destroy();
    }
  }

  @Override
  public void close() {
    try {
      server.close();
      thread.interrupt();
      thread.join(5000);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
