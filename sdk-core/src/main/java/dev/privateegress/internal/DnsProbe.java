package dev.privateegress.internal;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Why a lookup failed, asked of the system resolver itself: the JDK reports every failure as an {@link
 * java.net.UnknownHostException} whose message depends on the C library and the JDK version, so after a failed
 * lookup one A query (and an AAAA query when A has no data) goes to the first {@code nameserver} of
 * {@code /etc/resolv.conf} and its response code names the outcome. Runs only on a failure path, on the
 * caller's thread, bounded by the given timeout.
 */
public final class DnsProbe {
  /** What the resolver said about a name. */
  public enum Outcome {
    /** NXDOMAIN: the name does not exist. */
    NXDOMAIN,
    /** NOERROR without an A or AAAA record: the name exists with other record types only. */
    NODATA,
    /** SERVFAIL: the resolver failed (temporarily, or its upstream did). */
    SERVFAIL,
    /** REFUSED: the resolver will not answer this client or this name. */
    REFUSED,
    /** No answer within the time allowed, or the resolver's port is closed. */
    NO_ANSWER,
    /** The resolver answers with an address now: the failure was transient. */
    ANSWERED,
    /** No resolver configured, or a response this probe does not understand. */
    UNKNOWN
  }

  /** The resolvers of {@code /etc/resolv.conf}. */
  public static final Path RESOLV_CONF = Path.of("/etc/resolv.conf");

  private DnsProbe() {}

  /** The {@code nameserver} addresses of a resolv.conf file (port 53); empty when it cannot be read. */
  public static List<InetSocketAddress> nameservers(Path resolvConf) {
    List<InetSocketAddress> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(resolvConf, StandardCharsets.UTF_8)) {
        String[] f = line.trim().split("\\s+");
        if (f.length >= 2 && f[0].equals("nameserver")) {
          Hosts.parseIpLiteral(f[1]).ifPresent(a -> out.add(new InetSocketAddress(a, 53)));
        }
      }
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
    return out;
  }

  /** Asks the first of {@code servers} about {@code host}, within {@code timeout}. */
  public static Outcome classify(String host, List<InetSocketAddress> servers, Duration timeout) {
    if (servers.isEmpty() || host.isEmpty()) {
      return Outcome.UNKNOWN;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    Outcome a = query(servers.get(0), host, 1, deadline);
    if (a != Outcome.NODATA) {
      return a;
    }
    Outcome aaaa = query(servers.get(0), host, 28, deadline);
    return aaaa == Outcome.ANSWERED ? Outcome.ANSWERED : Outcome.NODATA;
  }

  private static Outcome query(InetSocketAddress server, String host, int type, long deadline) {
    int id = ThreadLocalRandom.current().nextInt(0x10000);
    byte[] q = question(host, id, type);
    if (q == null) {
      return Outcome.UNKNOWN;
    }
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.connect(server); // a closed port then fails fast with PortUnreachableException
      socket.send(new DatagramPacket(q, q.length));
      byte[] buf = new byte[1500];
      while (true) { // bounded by the deadline: each receive waits at most the time left
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          return Outcome.NO_ANSWER;
        }
        socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
        DatagramPacket in = new DatagramPacket(buf, buf.length);
        socket.receive(in);
        if (in.getLength() >= 12 && ((buf[0] & 0xff) << 8 | buf[1] & 0xff) == id && (buf[2] & 0x80) != 0) {
          return outcome(ByteBuffer.wrap(buf, 0, in.getLength()));
        } // else a stray or forged datagram: keep waiting for ours
      }
    } catch (SocketTimeoutException | PortUnreachableException e) {
      return Outcome.NO_ANSWER;
    } catch (IOException e) {
      return Outcome.NO_ANSWER;
    }
  }

  private static Outcome outcome(ByteBuffer r) {
    int rcode = r.get(3) & 0x0f;
    int answers = r.getShort(6) & 0xffff;
    return switch (rcode) {
      case 0 -> answers == 0 ? Outcome.NODATA : hasAddress(r, answers) ? Outcome.ANSWERED : Outcome.NODATA;
      case 2 -> Outcome.SERVFAIL;
      case 3 -> Outcome.NXDOMAIN;
      case 5 -> Outcome.REFUSED;
      default -> Outcome.UNKNOWN;
    };
  }

  /** True when the answer section holds an A or AAAA record (not just a CNAME chain that ends nowhere). */
  private static boolean hasAddress(ByteBuffer r, int answers) {
    try {
      r.position(12);
      skipName(r);
      r.position(r.position() + 4); // question type and class
      for (int i = 0; i < answers; i++) {
        skipName(r);
        int type = r.getShort() & 0xffff;
        r.position(r.position() + 6); // class, TTL
        int len = r.getShort() & 0xffff;
        if (type == 1 || type == 28) {
          return true;
        }
        r.position(r.position() + len);
      }
    } catch (RuntimeException e) {
      return false;
    }
    return false;
  }

  private static void skipName(ByteBuffer r) {
    for (int len = r.get() & 0xff; len != 0; len = r.get() & 0xff) {
      if ((len & 0xc0) == 0xc0) {
        r.get(); // compression pointer ends the name
        return;
      }
      r.position(r.position() + len);
    }
  }

  /** A recursive query for {@code host}, or null when the name cannot be written as DNS labels. */
  static byte[] question(String host, int id, int type) {
    String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    ByteBuffer b = ByteBuffer.allocate(12 + name.length() + 2 + 4);
    b.putShort((short) id).putShort((short) 0x0100).putShort((short) 1).putShort((short) 0).putShort((short) 0)
        .putShort((short) 0);
    for (String label : name.split("\\.")) {
      byte[] l = label.getBytes(StandardCharsets.US_ASCII);
      if (l.length == 0 || l.length > 63 || !label.matches("[A-Za-z0-9_-]+")) {
        return null;
      }
      b.put((byte) l.length).put(l);
    }
    b.put((byte) 0).putShort((short) type).putShort((short) 1);
    return b.array();
  }

  /** The address literal of a server, for messages. */
  static String describe(InetSocketAddress server) {
    InetAddress a = server.getAddress();
    return a == null ? server.getHostString() : a.getHostAddress();
  }
}
