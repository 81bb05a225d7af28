package dev.privateegress.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

class RedisLauncherTest {

  @Test
  void plainNodeAnswersAndIsGoneAfterClose() throws Exception {
    Path dir;
    int port;
    try (RedisNode n = RedisLauncher.startPlain()) {
      dir = n.directory();
      port = n.port();
      assertThat(n.isRunning()).isTrue();
      assertThat(n.command("SET", "k", "v")).isEqualTo("OK");
      assertThat(n.command("GET", "k")).isEqualTo("v");
      assertThat(raw(port, "PING")).isEqualTo("PONG");
    }
    assertThat(Files.exists(dir)).isFalse();
    assertThatThrownBy(() -> raw(port, "PING")).isInstanceOf(java.io.IOException.class);
  }

  @Test
  void requirePassRejectsAnonymousClients() throws Exception {
    try (RedisNode n = RedisLauncher.builder().requirePass("s3cret").start()) {
      assertThatThrownBy(() -> raw(n.port(), "PING")).hasMessageContaining("NOAUTH");
      assertThat(rawAuthed(n.port(), List.of("AUTH", "s3cret"), "PING")).isEqualTo("PONG");
    }
  }

  @Test
  void passwordsAreNotOnTheCommandLineButInAPrivateConfigFile() throws Exception {
    // set-proc-title no: keep the real argv visible (redis-server otherwise rewrites it after start-up)
    try (RedisNode n = RedisLauncher.builder().requirePass("pw-on-argv?").aclUser("app", "app \"pw\"")
        .config("set-proc-title", "no").start()) {
      assertThat(rawAuthed(n.port(), List.of("AUTH", "app", "app \"pw\""), "ACL", "WHOAMI")).isEqualTo("app");
      assertThat(rawAuthed(n.port(), List.of("AUTH", "pw-on-argv?"), "PING")).isEqualTo("PONG");
      java.util.Optional<String> commandLine = ProcessHandle.of(n.pid()).flatMap(h -> h.info().commandLine());
      assumeTrue(commandLine.isPresent(), "this OS does not show other command lines");
      assertThat(commandLine.get()).contains("--port").doesNotContain("pw-on-argv").doesNotContain("app \"pw");
      Path conf = n.directory().resolve("secrets.conf");
      assertThat(Files.readString(conf)).contains("requirepass");
      if (conf.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(conf))).isEqualTo("rw-------");
      }
    }
  }

  @Test
  void aclUserCanLogIn() throws Exception {
    try (RedisNode n = RedisLauncher.builder().aclUser("app", "pw1").requirePass("x").start()) {
      assertThat(rawAuthed(n.port(), List.of("AUTH", "app", "pw1"), "ACL", "WHOAMI")).isEqualTo("app");
      assertThatThrownBy(() -> rawAuthed(n.port(), List.of("AUTH", "app", "nope"), "PING"))
          .hasMessageContaining("WRONGPASS");
    }
  }

  @Test
  void killedNodeRestartsOnTheSamePortWithItsAppendOnlyFile() throws Exception {
    try (RedisNode n = RedisLauncher.builder().appendOnly(true).fsyncAlways(true).start()) {
      int port = n.port();
      long firstPid = n.pid();
      n.command("INCR", "c");
      n.kill();
      assertThat(n.isRunning()).isFalse();
      n.start();
      assertThat(n.pid()).as("a new process").isNotEqualTo(firstPid);
      assertThat(n.port()).isEqualTo(port);
      assertThat(n.command("GET", "c")).isEqualTo("1");
      n.restart();
      assertThat(n.command("GET", "c")).isEqualTo("1");
    }
  }

  @Test
  void tlsPortServesTheGeneratedCertificateWithAnIpSan() throws Exception {
    assumeTrue(RedisLauncher.tlsAvailable(), "openssl missing or redis-server without TLS");
    try (TlsMaterial tls = TlsMaterial.generate()) {
      try (RedisNode n = RedisLauncher.builder().tls(tls).start()) {
        X509Certificate ca;
        try (InputStream in = Files.newInputStream(tls.caCertificate())) {
          ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", n.tlsPort())) {
          SSLParameters p = s.getSSLParameters();
          p.setEndpointIdentificationAlgorithm("HTTPS"); // the JDK's strict check: needs IP SAN 127.0.0.1
          s.setSSLParameters(p);
          s.setSoTimeout(5000);
          Resp.write(s.getOutputStream(), "PING");
          assertThat(Resp.read(new BufferedInputStream(s.getInputStream()))).isEqualTo("PONG");
        }
        assertThat(n.tlsUrl()).isEqualTo("rediss://127.0.0.1:" + n.tlsPort());
      }
    }
  }

  @Test
  void threeMasterClusterCoversAllSlotsAndSurvivesANodeRestart() {
    try (RedisCluster c = RedisLauncher.cluster(3).start()) {
      assertThat(c.nodes()).hasSize(3);
      String info = (String) c.node(1).command("CLUSTER", "INFO");
      assertThat(info).contains("cluster_state:ok").contains("cluster_slots_assigned:16384")
          .contains("cluster_known_nodes:3");
      int port = c.node(2).port();
      c.node(2).kill();
      c.node(2).start();
      assertThat(c.node(2).port()).isEqualTo(port);
      c.awaitOk(30_000);
    }
  }

  @Test
  void replicaTakesOverAKilledMasterWithFsyncAlwaysOnEveryNode() {
    try (RedisCluster c = RedisLauncher.cluster(3).replicas(1).fsyncAlways(true).start()) {
      assertThat(c.nodes()).hasSize(6);
      assertThat(c.replicas()).hasSize(3).allSatisfy(r -> assertThat(r.role()).isEqualTo("slave"));
      for (RedisNode n : c.nodes()) {
        assertThat(n.command("CONFIG", "GET", "appendfsync")).isEqualTo(List.of("appendfsync", "always"));
      }
      RedisNode master = c.nodeForKey("k");
      master.command("SET", "k", "v");
      master.command("WAIT", "1", "5000");
      RedisNode replica = c.replicaOf(master);
      assertThat(replica).isNotNull();
      master.kill();
      c.awaitOk(30_000);
      assertThat(c.nodeForKey("k")).isSameAs(replica);
      assertThat(replica.role()).isEqualTo("master");
      assertThat(replica.command("GET", "k")).isEqualTo("v");
    }
  }

  @Test
  void tlsClusterAnnouncesItsTlsPortsToTlsClients() throws Exception {
    assumeTrue(RedisLauncher.tlsAvailable(), "openssl missing or redis-server without TLS");
    try (TlsMaterial tls = TlsMaterial.generate(); RedisCluster c = RedisLauncher.cluster(3).tls(tls).start()) {
      assertThat(c.seed()).isEqualTo("127.0.0.1:" + c.node(0).tlsPort());
      assertThat(c.node(1).command("CONFIG", "GET", "tls-cluster")).isEqualTo(List.of("tls-cluster", "yes"));
      List<Long> announced = new java.util.ArrayList<>();
      for (Object range : (List<?>) tlsCommand(tls, c.node(0).tlsPort(), "CLUSTER", "SLOTS")) {
        announced.add((Long) ((List<?>) ((List<?>) range).get(2)).get(1));
      }
      assertThat(announced).containsExactlyInAnyOrderElementsOf(
          c.nodes().stream().map(n -> (long) n.tlsPort()).toList());
    }
  }

  private static Object tlsCommand(TlsMaterial tls, int port, String... args) throws Exception {
    X509Certificate ca;
    try (InputStream in = Files.newInputStream(tls.caCertificate())) {
      ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      Resp.write(s.getOutputStream(), args);
      return Resp.read(new BufferedInputStream(s.getInputStream()));
    }
  }

  private static Object raw(int port, String... args) throws Exception {
    return rawAuthed(port, List.of(), args);
  }

  private static Object rawAuthed(int port, List<String> auth, String... args) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(5000);
      InputStream in = new BufferedInputStream(s.getInputStream());
      if (!auth.isEmpty()) {
        Resp.write(s.getOutputStream(), auth.toArray(new String[0]));
        Resp.read(in);
      }
      Resp.write(s.getOutputStream(), args);
      return Resp.read(in);
    }
  }
}
