package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.internal.DnsProbe;
import dev.privateegress.internal.NetworkChecks;
import dev.privateegress.testing.DnsServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each DNS outcome is its own cause, whatever the JDK's message: a failed lookup is classified by asking a real
 * DNS server (the test kit's {@link DnsServer} on loopback) for its response code. The network lab's
 * DoctorLabTest does the same through the system resolver inside a namespace.
 */
class DnsCausesTest {
  static DnsServer dns;
  static List<InetSocketAddress> servers;
  final PrivateEgress egress = PrivateEgress.builder().environment(Map.of()).build();

  @BeforeAll
  static void start() {
    dns = DnsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    dns.record("present.test", "10.0.0.9");
    servers = List.of(dns.address());
  }

  @AfterAll
  static void stop() {
    dns.close();
  }

  /** The JDK says the same thing for every failure here: only the resolver's answer tells them apart. */
  private NetworkChecks.Resolution lookup(String host) {
    return egress.runtime().network().dns(Target.parse("http://" + host + "/"), Duration.ofSeconds(3),
        h -> {
          throw new UnknownHostException(h);
        }, servers);
  }

  @Test
  void nxdomainIsANameThatDoesNotExist() {
    NetworkChecks.Resolution r = lookup("nxdomain.my.api.private");
    assertThat(r.result().detail()).contains("NXDOMAIN, the name does not exist");
    assertThat(r.result().advice()).startsWith("no VPC egress (mode none, from platform)"); // local: no VPC
  }

  @Test
  void nodataIsANameWithoutAddressRecords() {
    NetworkChecks.Resolution r = lookup("nodata.api.private");
    assertThat(r.result().detail()).contains("NODATA, no A or AAAA record");
    assertThat(r.result().advice()).startsWith("no such record type (NODATA)").contains("Add an A record");
  }

  @Test
  void servfailIsAResolverFailure() {
    NetworkChecks.Resolution r = lookup("servfail.api.private");
    assertThat(r.result().detail()).contains("SERVFAIL from the resolver");
    assertThat(r.result().advice()).startsWith("resolver failed (SERVFAIL)");
  }

  @Test
  void refusedIsAResolverThatWillNotAnswer() {
    NetworkChecks.Resolution r = lookup("refused.api.private");
    assertThat(r.result().detail()).contains("REFUSED by the resolver");
    assertThat(r.result().advice()).startsWith("resolver refused (REFUSED)").contains("169.254.169.254");
  }

  @Test
  void silenceIsAResolverThatDidNotAnswer() {
    NetworkChecks.Resolution r = lookup("silent.api.private");
    assertThat(r.result().detail()).contains("the resolver did not answer");
    assertThat(r.result().advice()).startsWith("resolver did not answer");
  }

  @Test
  void anAnswerNowIsATransientFailure() {
    assertThat(DnsProbe.classify("present.test", servers, Duration.ofSeconds(2))).isEqualTo(DnsProbe.Outcome.ANSWERED);
    assertThat(lookup("present.test").result().advice()).startsWith("resolver failed temporarily");
  }

  @Test
  void aClosedResolverPortIsNoAnswer() throws Exception {
    InetSocketAddress closed;
    try (java.net.DatagramSocket s = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      closed = (InetSocketAddress) s.getLocalSocketAddress();
    }
    assertThat(DnsProbe.classify("x.test", List.of(closed), Duration.ofSeconds(2)))
        .isEqualTo(DnsProbe.Outcome.NO_ANSWER);
  }

  @Test
  void nameserversComeFromResolvConf(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("resolv.conf");
    Files.writeString(conf, "# comment\nsearch example\nnameserver 169.254.169.254\nnameserver fd00::53\n"
        + "options timeout:2\n");
    assertThat(DnsProbe.nameservers(conf)).extracting(a -> a.getAddress().getHostAddress())
        .containsExactly("169.254.169.254", "fd00:0:0:0:0:0:0:53");
    assertThat(DnsProbe.nameservers(dir.resolve("missing"))).isEmpty();
  }
}
