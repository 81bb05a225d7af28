package dev.privateegress.testing;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A tiny authoritative DNS server over UDP, for tests that need a real resolver to answer each way a
 * lookup can fail. Names are answered from {@link #record(String, String)}; the first label of a name
 * outside the records picks the outcome:
 *
 * <ul>
 *   <li>{@code nxdomain.*} and any unknown name: NXDOMAIN (rcode 3);
 *   <li>{@code nodata.*}: the name exists with no A/AAAA record (NOERROR, empty answer);
 *   <li>{@code servfail.*}: SERVFAIL (rcode 2); {@code refused.*}: REFUSED (rcode 5);
 *   <li>{@code silent.*}: no answer at all.
 * </ul>
 *
 * <pre>{@code
 * try (DnsServer dns = DnsServer.start(new InetSocketAddress("127.0.0.1", 0))) {
 *   dns.record("echo.example.net", "203.0.113.80");
 * }
 * }</pre>
 *
 * <p>One daemon thread answers queries; {@link #close()} stops it. A-record and AAAA answers carry TTL 0.
 * {@link #main(String[])} runs one in the foreground (the network lab starts it inside a namespace).
 */
public final class DnsServer implements AutoCloseable {
  private final DatagramSocket socket;
  private final Map<String, List<InetAddress>> records = new ConcurrentHashMap<>();
  private final Thread thread;

  private DnsServer(DatagramSocket socket) {
    this.socket = socket;
    this.thread = new Thread(this::serve, "dns-server");
    thread.setDaemon(true);
    thread.start();
  }

  /** Starts a server bound to {@code address} (port 0 picks a free port). */
  public static DnsServer start(InetSocketAddress address) {
    try {
      return new DnsServer(new DatagramSocket(address));
    } catch (SocketException e) {
      throw new IllegalStateException("cannot bind a DNS server to " + address, e);
    }
  }

  /** Adds an address record for {@code name} (IPv4 or IPv6 literal). */
  public DnsServer record(String name, String ip) {
    InetAddress a = literal(ip);
    records.computeIfAbsent(normalize(name), k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(a);
    return this;
  }

  /** The address and port this server answers on. */
  public InetSocketAddress address() {
    return (InetSocketAddress) socket.getLocalSocketAddress();
  }

  private void serve() {
    byte[] buf = new byte[512];
    while (!socket.isClosed()) {
      DatagramPacket in = new DatagramPacket(buf, buf.length);
      try {
        socket.receive(in);
        byte[] answer = answer(ByteBuffer.wrap(in.getData(), 0, in.getLength()));
        if (answer != null) {
          socket.send(new DatagramPacket(answer, answer.length, in.getSocketAddress()));
        }
      } catch (IOException | RuntimeException e) {
        // a closed socket ends the loop; a malformed query is dropped, as real servers do
      }
    }
  }

  /** The response to one query, or null for none. */
  byte[] answer(ByteBuffer q) {
    int id = q.getShort() & 0xffff;
    q.getShort(); // flags
    int qdcount = q.getShort() & 0xffff;
    q.position(12);
    if (qdcount != 1) {
      return null;
    }
    StringBuilder name = new StringBuilder();
    int start = q.position();
    for (int len = q.get() & 0xff; len != 0; len = q.get() & 0xff) {
      byte[] label = new byte[len];
      q.get(label);
      name.append(name.length() == 0 ? "" : ".").append(new String(label, java.nio.charset.StandardCharsets.US_ASCII));
    }
    int type = q.getShort() & 0xffff;
    q.getShort(); // class
    byte[] question = new byte[q.position() - start];
    q.position(start);
    q.get(question);
    String n = normalize(name.toString());
    String first = n.contains(".") ? n.substring(0, n.indexOf('.')) : n;
    List<InetAddress> known = records.get(n);
    int rcode;
    List<InetAddress> answers = new ArrayList<>();
    if (known != null) {
      rcode = 0;
      for (InetAddress a : known) {
        if (a.getAddress().length == (type == 28 ? 16 : 4) && (type == 1 || type == 28)) {
          answers.add(a);
        }
      }
    } else {
      switch (first) {
        case "silent" -> {
          return null;
        }
        case "nodata" -> rcode = 0;
        case "servfail" -> rcode = 2;
        case "refused" -> rcode = 5;
        default -> rcode = 3;
      }
    }
    ByteBuffer out = ByteBuffer.allocate(512);
    out.putShort((short) id).putShort((short) (0x8400 | 0x0100 | 0x0080 | rcode)) // QR AA RD RA
        .putShort((short) 1).putShort((short) answers.size()).putShort((short) 0).putShort((short) 0)
        .put(question);
    for (InetAddress a : answers) {
      byte[] raw = a.getAddress();
      out.putShort((short) 0xc00c).putShort((short) (raw.length == 4 ? 1 : 28)).putShort((short) 1)
          .putInt(0).putShort((short) raw.length).put(raw);
    }
    byte[] bytes = new byte[out.position()];
    out.flip().get(bytes);
    return bytes;
  }

  /** Parses an IP literal; never a lookup. */
  static InetAddress literal(String ip) {
    if (!ip.matches("[0-9a-fA-F:.]+")) {
      throw new IllegalArgumentException("not an IP address: " + ip);
    }
    try {
      return InetAddress.getByName(ip);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address: " + ip, e);
    }
  }

  private static String normalize(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
  }

  @Override
  public void close() {
    socket.close();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Runs a server in the foreground until killed: {@code ADDRESS PORT [name=ip ...]}, printing
   * {@code ready} once it listens.
   */
  public static void main(String[] args) throws InterruptedException {
    if (args.length < 2) {
      System.err.println("usage: DnsServer ADDRESS PORT [name=ip ...]");
      System.exit(2);
    }
    DnsServer dns = start(new InetSocketAddress(literal(args[0]), Integer.parseInt(args[1])));
    for (int i = 2; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      dns.record(kv[0], kv[1]);
    }
    System.out.println("ready");
    System.out.flush();
    dns.thread.join();
  }
}
