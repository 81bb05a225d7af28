package dev.privateegress;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * The DNS and TCP checks shared by {@link PrivateEgress#doctor}, {@link PrivateEgress#awaitReady} and
 * the {@link TargetChecker}s of sdk-http and sdk-redis. Each failure carries advice that uses the egress
 * evidence known at that moment (never triggering detection I/O itself).
 */
public final class NetworkChecks {
  private NetworkChecks() {}

  /** A DNS check and the addresses it found (empty when it failed). */
  public record Resolution(CheckResult result, List<InetAddress> addresses) {
    public Resolution {
      addresses = List.copyOf(addresses);
    }

    public boolean ok() {
      return result.ok();
    }
  }

  /**
   * Resolves the target's host through {@code PRIVATE_EGRESS_HOSTS} first, then the system resolver,
   * and classifies each address (private/public/loopback).
   */
  public static Resolution dns(PrivateEgress egress, Target target) {
    long start = System.nanoTime();
    String host = target.host();
    List<InetAddress> addresses;
    String via;
    List<InetAddress> overridden = egress.config().hostOverrides().get(host.toLowerCase(Locale.ROOT));
    try {
      if (overridden != null) {
        addresses = overridden;
        via = "PRIVATE_EGRESS_HOSTS";
      } else {
        addresses = List.of(InetAddress.getAllByName(host));
        via = isLiteral(host) ? "IP literal" : "system resolver";
      }
    } catch (UnknownHostException e) {
      return new Resolution(CheckResult.fail(target, CheckKind.DNS, millisSince(start),
          host + " does not resolve (" + e.getMessage() + ")", unresolvedAdvice(egress, host)), List.of());
    }
    StringJoiner detail = new StringJoiner(", ", host + " -> ", " via " + via);
    boolean anyPublic = false;
    for (InetAddress a : addresses) {
      AddressClass c = AddressClass.of(a);
      anyPublic |= c == AddressClass.PUBLIC;
      detail.add(a.getHostAddress() + " (" + c + ")");
    }
    EgressInfo known = egress.knownEgress();
    if (anyPublic && known.scope() == EgressScope.PRIVATE_RANGES_ONLY) {
      return new Resolution(CheckResult.fail(target, CheckKind.DNS, millisSince(start), detail.toString(),
          "route bypasses the VPC: the address is public but egress scope is private-ranges-only ("
              + known.source() + "), so this traffic goes out the internet path, not through the VPC and its "
              + "Cloud NAT static IP. Use egress all-traffic, or point the name at a private address"),
          addresses);
    }
    return new Resolution(CheckResult.pass(target, CheckKind.DNS, millisSince(start), detail.toString()),
        addresses);
  }

  /**
   * Opens (and closes) a TCP connection to the first address that accepts within {@code timeout},
   * trying each resolved address in turn.
   */
  public static CheckResult tcp(PrivateEgress egress, Target target, List<InetAddress> addresses, Duration timeout) {
    long start = System.nanoTime();
    List<String> failures = new ArrayList<>();
    IOException last = null;
    InetSocketAddress lastAddress = null;
    for (InetAddress a : addresses) {
      InetSocketAddress address = new InetSocketAddress(a, target.port());
      long t0 = System.nanoTime();
      try (Socket s = new Socket()) {
        s.connect(address, (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
        return CheckResult.pass(target, CheckKind.TCP, millisSince(start),
            "connected to " + a.getHostAddress() + ":" + target.port() + " in " + millisSince(t0) + " ms");
      } catch (IOException e) {
        last = e;
        lastAddress = address;
        failures.add(a.getHostAddress() + ":" + target.port() + " " + describe(e, timeout));
        egress.listener().connectFailed(target.host(), address, e);
      }
    }
    if (last == null) {
      return CheckResult.fail(target, CheckKind.TCP, millisSince(start), "no address to connect to",
          "fix DNS first");
    }
    return CheckResult.fail(target, CheckKind.TCP, millisSince(start), String.join("; ", failures),
        connectAdvice(egress, target, lastAddress, last));
  }

  /** A short human description of a connect failure, e.g. {@code refused} or {@code no answer in 2000 ms}. */
  public static String describe(IOException e, Duration timeout) {
    if (e instanceof SocketTimeoutException) {
      return "no answer in " + timeout.toMillis() + " ms";
    }
    if (e instanceof ConnectException) {
      String m = e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
      return m.contains("refused") ? "refused" : "failed (" + e.getMessage() + ")";
    }
    if (e instanceof NoRouteToHostException) {
      return "no route to host";
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")");
  }

  /** Advice for a name that does not resolve, using what is known about egress. */
  public static String unresolvedAdvice(PrivateEgress egress, String host) {
    EgressInfo known = egress.knownEgress();
    String local = " For local development map it: PRIVATE_EGRESS_HOSTS=" + host + "=127.0.0.1.";
    if (known.mode() == EgressMode.NONE) {
      return "no VPC egress (mode none, from " + known.source() + "): names in private Cloud DNS zones resolve "
          + "only through VPC egress. Attach a Serverless VPC Access connector or Direct VPC egress." + local;
    }
    if (known.mode().reachesVpc()) {
      return "private zone not visible: egress reaches the VPC (" + known.mode() + ", from " + known.source()
          + ") but the name is unknown there. Check the record exists and that the private Cloud DNS zone "
          + "lists the VPC network this service egresses into." + local;
    }
    return "if " + host + " lives in a private Cloud DNS zone, it resolves only with VPC egress (connector or "
        + "Direct VPC) into a network the zone is visible to; egress here is " + known.mode() + " ("
        + known.source() + "). Declare it with PRIVATE_EGRESS_MODE to sharpen this advice." + local;
  }

  /** Advice for a failed TCP connect. */
  public static String connectAdvice(PrivateEgress egress, Target target, InetSocketAddress address, IOException e) {
    AddressClass c = AddressClass.of(address.getAddress());
    EgressInfo known = egress.knownEgress();
    if (e instanceof ConnectException && String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("refused")) {
      if (c == AddressClass.LOOPBACK) {
        return "nothing listens on " + address.getAddress().getHostAddress() + ":" + target.port()
            + ": the local process or sidecar (e.g. an auth proxy) is not started yet or uses another port; "
            + "wait for it with awaitReady or a startup probe";
      }
      String redisHint = target.scheme().startsWith("redis") && target.port() == 6379
          ? " Memorystore with in-transit encryption listens on 6378, not 6379." : "";
      return "the host answered but refused port " + target.port()
          + ": the service is down or listens on another port." + redisHint;
    }
    if (c == AddressClass.PRIVATE && known.mode() == EgressMode.NONE) {
      return "no VPC egress (mode none, from " + known.source() + "): private addresses are unreachable. "
          + "Attach a Serverless VPC Access connector or Direct VPC egress";
    }
    if (c == AddressClass.PRIVATE) {
      return "packets are dropped: check that a firewall rule allows the connector's /28 or the Direct VPC "
          + "subnet range to reach port " + target.port() + ", that the egress network is the one the "
          + "endpoint lives in, and (Direct VPC) that the instance is past its first minute; "
          + "egress here is " + known.mode() + " (" + known.source() + ")";
    }
    if (c == AddressClass.PUBLIC && known.scope() == EgressScope.ALL_TRAFFIC) {
      return "with all-traffic egress, internet destinations need Cloud NAT on the VPC; check the NAT "
          + "gateway and firewall egress rules";
    }
    return "the address did not accept a connection: check the port, firewalls and that the service is up";
  }

  private static boolean isLiteral(String host) {
    return host.indexOf(':') >= 0 || host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
  }

  static long millisSince(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
  }
}
