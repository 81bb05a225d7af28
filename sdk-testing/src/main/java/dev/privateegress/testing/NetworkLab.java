package dev.privateegress.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The network between a serverless instance and a VPC, built on the real kernel with network namespaces,
 * veth pairs, routes, {@code iptables} and {@code dnsmasq}, so the SDK can run with production configuration
 * (no {@code GCE_METADATA_HOST}, no {@code PRIVATE_EGRESS_HOSTS}) against real failures. Needs root and the
 * {@code ip}, {@code iptables} and {@code dnsmasq} commands; {@link #unavailableReason()} says why a lab
 * cannot be built here, so tests can skip.
 *
 * <pre>
 *  instance ns                          connector ns                vpc ns                      internet ns
 *  lo 127.0.0.1 (sidecars)              100.96.0.1 -- SNAT -- 10.8.0.2/28 (connector range)
 *  lo 169.254.169.254 (metadata :80,    |                             10.8.0.1 | 10.9.0.1       203.0.113.53 resolver
 *     resolver :53)                     |                             lo 10.10.0.10 ILB :80     203.0.113.80 address echo
 *  conn 100.96.0.2 ---------------------+                             lo 10.10.0.20 Redis       203.0.113.81 allow-list
 *  dvpc 10.9.0.5/24 (Direct VPC) ---------------------------------- 10.9.0.1                       (static address only)
 *  own  192.0.2.77 (the instance's own internet path) ----------------------------------------- 192.0.2.1
 *                                                                    up 198.51.100.7 (Cloud NAT) - 198.51.100.1
 * </pre>
 *
 * <p>{@link #egress(Egress, Scope)} sets the instance's routes as Google builds them: a connector (the VPC sees
 * the connector's /28 address), Direct VPC (the instance has an address in the subnet), or none; all-traffic
 * sends everything (except the platform's resolver path) into the VPC, whose Cloud NAT ({@link #cloudNat(Nat)})
 * translates internet traffic to the static address; private-ranges-only sends only RFC 1918 ranges into the
 * VPC and everything else out the instance's own path. The resolver at 169.254.169.254 answers the private zone
 * only while the zone is attached and the instance egresses into the VPC, and forwards everything else to the
 * public resolver, which knows the internet names (NXDOMAIN for all others).
 *
 * <p>Every lab has unique namespace names ({@code pelab-PID-N-…}); {@link #close()} kills the processes it
 * started and deletes its namespaces, a shutdown hook does the same when the JVM exits, and {@link #start()}
 * first sweeps labs whose owner process is dead (e.g. after {@code kill -9}). Only addresses inside the lab's
 * namespaces are ever dialled. Every wait is bounded.
 */
public final class NetworkLab implements AutoCloseable {
  /** The address of the metadata server and the resolver inside the instance, as on Google Cloud. */
  public static final String METADATA_IP = "169.254.169.254";
  /** The connector's address in its /28 (what the VPC sees as the source of connector traffic). */
  public static final String CONNECTOR_IP = "10.8.0.2";
  /** The instance's own address in the Direct VPC subnet 10.9.0.0/24. */
  public static final String DIRECT_VPC_IP = "10.9.0.5";
  /** The internal load balancer (nginx) in the VPC. */
  public static final String ILB_IP = "10.10.0.10";
  /** The Memorystore instance (redis-server): 6379 with AUTH, 6378 TLS with AUTH. */
  public static final String REDIS_IP = "10.10.0.20";
  /** The address the internet sees for traffic leaving by the instance's own path. */
  public static final String OWN_PUBLIC_IP = "192.0.2.77";
  /** Cloud NAT's static address: what the allow-listed endpoint accepts. */
  public static final String NAT_STATIC_IP = "198.51.100.7";
  /** An automatically allocated Cloud NAT address (not the one the allow-list expects). */
  public static final String NAT_EPHEMERAL_IP = "198.51.100.9";
  /** The public resolver. */
  public static final String PUBLIC_DNS_IP = "203.0.113.53";
  /** The tiny DNS server of {@link #dnsFaults()}, answering each failure by name. */
  public static final String FAULT_DNS_IP = "203.0.113.54";
  /** The address echo: {@code http://echo.example.net/} answers the caller's address. */
  public static final String ECHO_IP = "203.0.113.80";
  /** The endpoint that allows only {@link #NAT_STATIC_IP}: {@code http://allowlisted.example.net/}. */
  public static final String ALLOWLISTED_IP = "203.0.113.81";
  /** The zone {@link #dnsFaults()} forwards to its DNS server: {@code servfail.dnstest.example} etc. */
  public static final String FAULT_ZONE = "dnstest.example";

  /** How the instance reaches the VPC. */
  public enum Egress { NONE, CONNECTOR, DIRECT_VPC }

  /** Which traffic goes into the VPC. */
  public enum Scope { ALL_TRAFFIC, PRIVATE_RANGES_ONLY }

  /** Cloud NAT on the VPC: none, the static address, or an automatically allocated one. */
  public enum Nat { OFF, STATIC, EPHEMERAL }

  /** A VPC firewall rule for traffic to a host in the VPC. */
  public enum Firewall { ALLOW, DROP, REJECT }

  /** The lab's namespaces. */
  public enum Namespace {
    INSTANCE("inst"), CONNECTOR("conn"), VPC("vpc"), INTERNET("net");

    private final String suffix;

    Namespace(String suffix) {
      this.suffix = suffix;
    }
  }

  /** The resolver at 169.254.169.254: answering, stopped (the port is closed), or silent (packets dropped). */
  public enum Resolver { UP, DOWN, SILENT }

  private static final Pattern NAME = Pattern.compile("pelab-(\\d+)-(\\d+)-(inst|conn|vpc|net)");
  private static final AtomicInteger SEQ = new AtomicInteger();
  private static final Set<NetworkLab> OPEN = ConcurrentHashMap.newKeySet();
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> List.copyOf(OPEN).forEach(NetworkLab::close),
        "network-lab-teardown"));
  }

  private final String prefix;
  private final Path dir;
  private final String iptables;
  private final List<Process> processes = new ArrayList<>();
  private final Map<Process, Path> logs = new ConcurrentHashMap<>();
  private int started;
  private final Map<String, String> privateRecords = new LinkedHashMap<>();
  private final Map<String, String> publicRecords = new LinkedHashMap<>();
  private final Map<String, Firewall> firewall = new LinkedHashMap<>();
  private String zone = "api.private";
  private Egress egress = Egress.NONE;
  private Scope scope = Scope.PRIVATE_RANGES_ONLY;
  private Nat nat = Nat.OFF;
  private boolean zoneAttached = true;
  private Resolver resolver = Resolver.UP;
  private Process dnsmasq;
  private Process metadata;
  private Process publicDns;
  private Process faultDns;
  private volatile boolean closed;

  private NetworkLab(String prefix, Path dir, String iptables) {
    this.prefix = prefix;
    this.dir = dir;
    this.iptables = iptables;
  }

  /** Why a lab cannot be built on this machine, or empty when it can. */
  public static Optional<String> unavailableReason() {
    if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
      return Optional.of("network namespaces need Linux");
    }
    if (!isRoot()) {
      return Optional.of("network namespaces need root (running as uid " + uid() + ")");
    }
    for (String tool : List.of("ip", "dnsmasq", "iptables-restore", "nginx")) {
      if (RedisBinary.onPath(tool) == null && !Files.isExecutable(Path.of("/usr/sbin", tool))) {
        return Optional.of(tool + " is not installed (apt-get install iproute2 iptables dnsmasq-base nginx)");
      }
    }
    return Optional.empty();
  }

  /**
   * Builds the namespaces, links, routes, the resolvers, the metadata server (a child JVM running {@link
   * FakeMetadataServer} at 169.254.169.254:80) and the internet's echo and allow-listed endpoint. Egress starts
   * as {@link Egress#NONE}, Cloud NAT off, the private zone attached.
   *
   * @throws IllegalStateException when the lab cannot be built; {@link #unavailableReason()} first
   */
  public static NetworkLab start() {
    sweep();
    long pid = ProcessHandle.current().pid();
    String prefix = "pelab-" + pid + "-" + SEQ.incrementAndGet();
    Path dir;
    try {
      dir = Files.createTempDirectory(prefix + "-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    NetworkLab lab = new NetworkLab(prefix, dir, pickIptables());
    OPEN.add(lab);
    try {
      lab.build();
      return lab;
    } catch (RuntimeException e) {
      lab.close();
      throw e;
    }
  }

  /** The name of one of the lab's namespaces, for {@code ip netns exec NAME …}. */
  public String namespace(Namespace ns) {
    return prefix + "-" + ns.suffix;
  }

  private void build() {
    for (Namespace ns : Namespace.values()) {
      run("ip", "netns", "add", namespace(ns));
      ip(ns, "link set lo up");
    }
    String i = namespace(Namespace.INSTANCE);
    String c = namespace(Namespace.CONNECTOR);
    String v = namespace(Namespace.VPC);
    String n = namespace(Namespace.INTERNET);
    run("ip", "-n", i, "link", "add", "conn", "type", "veth", "peer", "name", "inst", "netns", c);
    run("ip", "-n", c, "link", "add", "vpc", "type", "veth", "peer", "name", "conn", "netns", v);
    run("ip", "-n", i, "link", "add", "dvpc", "type", "veth", "peer", "name", "inst", "netns", v);
    run("ip", "-n", i, "link", "add", "own", "type", "veth", "peer", "name", "inst", "netns", n);
    run("ip", "-n", v, "link", "add", "wan", "type", "veth", "peer", "name", "vpc", "netns", n);
    batch(Namespace.INSTANCE,
        "addr add " + METADATA_IP + "/32 dev lo",
        "addr add 100.96.0.2/30 dev conn",
        "addr add " + DIRECT_VPC_IP + "/24 dev dvpc",
        "addr add " + OWN_PUBLIC_IP + "/24 dev own",
        "link set own up",
        "route add " + PUBLIC_DNS_IP + "/32 via 192.0.2.1 dev own");
    batch(Namespace.CONNECTOR,
        "addr add 100.96.0.1/30 dev inst", "link set inst up",
        "addr add " + CONNECTOR_IP + "/28 dev vpc", "link set vpc up",
        "route add default via 10.8.0.1");
    batch(Namespace.VPC,
        "addr add 10.8.0.1/28 dev conn", "link set conn up",
        "addr add 10.9.0.1/24 dev inst", "link set inst up",
        "addr add " + ILB_IP + "/32 dev lo", "addr add " + REDIS_IP + "/32 dev lo",
        "addr add " + NAT_STATIC_IP + "/24 dev wan", "addr add " + NAT_EPHEMERAL_IP + "/24 dev wan", "link set wan up",
        "route add default via 198.51.100.1");
    batch(Namespace.INTERNET,
        "addr add 192.0.2.1/24 dev inst", "link set inst up",
        "addr add 198.51.100.1/24 dev vpc", "link set vpc up",
        "addr add " + PUBLIC_DNS_IP + "/32 dev lo", "addr add " + FAULT_DNS_IP + "/32 dev lo",
        "addr add " + ECHO_IP + "/32 dev lo", "addr add " + ALLOWLISTED_IP + "/32 dev lo");
    for (Namespace ns : List.of(Namespace.CONNECTOR, Namespace.VPC)) {
      exec(ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
    }
    for (Namespace ns : Namespace.values()) {
      exec(ns, "sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=0");
    }
    // a rejecting firewall answers every SYN, not one per second (the kernel's default ICMP rate limit)
    exec(Namespace.VPC, "sysctl", "-q", "-w", "net.ipv4.icmp_ratelimit=0");
    rules(Namespace.CONNECTOR, "*nat\n-A POSTROUTING -o vpc -j MASQUERADE\nCOMMIT\n");
    write(Path.of("/etc/netns", i, "resolv.conf"), "nameserver " + METADATA_IP + "\noptions timeout:2 attempts:1\n");
    publicRecord("echo.example.net", ECHO_IP);
    publicRecord("allowlisted.example.net", ALLOWLISTED_IP);
    internetServers();
    routes();
    vpcRules();
    startDnsmasq();
    metadataServer(true);
  }

  // ---------------------------------------------------------------- topology

  /** Sets how the instance egresses and which traffic enters the VPC (the instance's routes). */
  public synchronized NetworkLab egress(Egress mode, Scope scope) {
    this.egress = mode;
    this.scope = scope;
    routes();
    restartDnsmasq(); // the private zone is visible only through VPC egress
    return this;
  }

  /** Cloud NAT for the VPC's subnets (connector range and Direct VPC subnet). */
  public synchronized NetworkLab cloudNat(Nat nat) {
    this.nat = nat;
    vpcRules();
    return this;
  }

  /** Attaches (or detaches) the private zone to the VPC network the instance egresses into. */
  public synchronized NetworkLab privateZone(boolean attached) {
    this.zoneAttached = attached;
    restartDnsmasq();
    return this;
  }

  /** The private zone's domain ({@code api.private} by default); its records are added with {@link #privateRecord}. */
  public synchronized NetworkLab zone(String domain) {
    this.zone = domain;
    restartDnsmasq();
    return this;
  }

  /** An A record in the private zone (e.g. {@code my.api.private} → {@link #ILB_IP}). */
  public synchronized NetworkLab privateRecord(String name, String ip) {
    privateRecords.put(name, DnsServer.literal(ip).getHostAddress());
    if (dnsmasq != null) {
      restartDnsmasq();
    }
    return this;
  }

  /** An A record the public resolver answers. */
  public synchronized NetworkLab publicRecord(String name, String ip) {
    publicRecords.put(name, DnsServer.literal(ip).getHostAddress());
    if (publicDns != null) {
      publicDns.destroy();
      processes.remove(publicDns);
      waitFor(publicDns);
      publicDns = startPublicDns();
    }
    return this;
  }

  /** A VPC firewall rule for TCP to {@code ip:port} inside the VPC ({@link Firewall#ALLOW} removes the rule). */
  public synchronized NetworkLab firewall(String ip, int port, Firewall action) {
    firewall.put(DnsServer.literal(ip).getHostAddress() + ":" + port, action);
    vpcRules();
    return this;
  }

  /** Starts or stops the metadata server at 169.254.169.254:80. */
  public synchronized NetworkLab metadataServer(boolean up) {
    if (up && metadata == null) {
      metadata = startJava(Namespace.INSTANCE, Map.of(), FakeMetadataServer.class.getName(), METADATA_IP, "80",
          "runtime@lab-project.iam.gserviceaccount.com");
      awaitLine(metadata, "ready", Duration.ofSeconds(30));
    } else if (!up && metadata != null) {
      stop(metadata);
      metadata = null;
    }
    return this;
  }

  /** The state of the resolver at 169.254.169.254. */
  public synchronized NetworkLab resolver(Resolver state) {
    this.resolver = state;
    rules(Namespace.INSTANCE, "*filter\n" + (state == Resolver.SILENT
        ? "-A INPUT -d " + METADATA_IP + "/32 -p udp --dport 53 -j DROP\n"
            + "-A INPUT -d " + METADATA_IP + "/32 -p tcp --dport 53 -j DROP\n" : "") + "COMMIT\n");
    restartDnsmasq();
    return this;
  }

  /**
   * Starts (once) a {@link DnsServer} at {@link #FAULT_DNS_IP} in the internet namespace and forwards
   * {@link #FAULT_ZONE} to it, so {@code nxdomain.}, {@code nodata.}, {@code servfail.}, {@code refused.} and
   * {@code silent.dnstest.example} reach the instance through its own resolver with each DNS outcome.
   */
  public synchronized NetworkLab dnsFaults() {
    if (faultDns == null) {
      faultDns = startJava(Namespace.INTERNET, Map.of(), DnsServer.class.getName(), FAULT_DNS_IP, "53");
      awaitLine(faultDns, "ready", Duration.ofSeconds(30));
      exec(Namespace.INSTANCE, "ip", "route", "replace", FAULT_DNS_IP + "/32", "via", "192.0.2.1", "dev", "own");
      restartDnsmasq();
    }
    return this;
  }

  // ---------------------------------------------------------------- services

  /**
   * Starts the internal load balancer: nginx at {@link #ILB_IP}:80 in the VPC, answering {@code 200 internal
   * api} to requests whose bearer token is a JWT for {@code audience} (as IAP would check), {@code 401}
   * otherwise. With a null audience every request is answered.
   */
  public NetworkLab internalLoadBalancer(String audience) {
    String check = audience == null ? "" : "    if ($http_authorization !~ \"^Bearer [^.]+\\.(" + audiencePrefix(audience)
        + ")\") { return 401 \"token audience refused\\n\"; }\n";
    nginx(Namespace.VPC, "ilb", "  server {\n    listen " + ILB_IP + ":80;\n    location / {\n" + check
        + "      return 200 \"internal api from $remote_addr\\n\";\n    }\n  }\n");
    return this;
  }

  /**
   * Starts Memorystore: redis-server at {@link #REDIS_IP} in the VPC, port 6379 and (with {@code tls}) TLS port
   * 6378, both requiring {@code auth}. The certificate must name {@link #REDIS_IP} ({@link
   * TlsMaterial#generate(String...)}).
   */
  public NetworkLab memorystore(String auth, TlsMaterial tls) {
    Path redis = RedisBinary.onPath("redis-server");
    if (redis == null) {
      throw new IllegalStateException("redis-server is not on PATH");
    }
    List<String> cmd = new ArrayList<>(List.of(redis.toString(), "--bind", REDIS_IP, "--port", "6379",
        "--requirepass", auth, "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--protected-mode", "no"));
    if (tls != null) {
      cmd.addAll(List.of("--tls-port", "6378", "--tls-cert-file", tls.serverCertificate().toString(),
          "--tls-key-file", tls.serverKey().toString(), "--tls-ca-cert-file", tls.caCertificate().toString(),
          "--tls-auth-clients", "no"));
    }
    Process p = start(Namespace.VPC, Map.of(), cmd);
    awaitPort(Namespace.VPC, REDIS_IP, 6379, p);
    return this;
  }

  /** The address echo and the allow-listed endpoint in the internet namespace; started by {@link #start()}. */
  private void internetServers() {
    publicDns = startPublicDns();
    nginx(Namespace.INTERNET, "internet", "  keepalive_timeout 0;\n  server {\n    listen " + ECHO_IP + ":80;\n"
        + "    location / { default_type text/plain; return 200 \"$remote_addr\\n\"; }\n  }\n"
        + "  server {\n    listen " + ALLOWLISTED_IP + ":80;\n    location / {\n      default_type text/plain;\n"
        + "      if ($remote_addr != \"" + NAT_STATIC_IP + "\") { return 403 \"denied $remote_addr\\n\"; }\n"
        + "      return 200 \"accepted from $remote_addr\\n\";\n"
        + "    }\n  }\n");
  }

  private Process startPublicDns() {
    List<String> cmd = new ArrayList<>(List.of(dnsmasqBinary(), "--keep-in-foreground", "--no-resolv", "--no-hosts",
        "--listen-address=" + PUBLIC_DNS_IP, "--bind-interfaces", "--cache-size=0", "--local=/#/",
        "--pid-file=" + dir.resolve("public-dns.pid"), "--user=root"));
    publicRecords.forEach((name, ip) -> cmd.add("--host-record=" + name + "," + ip));
    return start(Namespace.INTERNET, Map.of(), cmd);
  }

  private void startDnsmasq() {
    if (resolver == Resolver.DOWN) {
      return;
    }
    List<String> cmd = new ArrayList<>(List.of(dnsmasqBinary(), "--keep-in-foreground", "--no-resolv", "--no-hosts",
        "--listen-address=" + METADATA_IP, "--bind-interfaces", "--cache-size=0",
        "--pid-file=" + dir.resolve("resolver.pid"), "--user=root",
        "--host-record=metadata.google.internal," + METADATA_IP, "--host-record=metadata," + METADATA_IP));
    if (zoneVisible()) {
      cmd.add("--local=/" + zone + "/");
      privateRecords.forEach((name, ip) -> cmd.add("--host-record=" + name + "," + ip));
    }
    if (faultDns != null) {
      cmd.add("--server=/" + FAULT_ZONE + "/" + FAULT_DNS_IP);
    }
    cmd.add("--server=" + PUBLIC_DNS_IP);
    dnsmasq = start(Namespace.INSTANCE, Map.of(), cmd);
    awaitUdp53(dnsmasq);
    if (resolver != Resolver.UP) {
      return;
    }
    // bound is not ready: wait until a lookup through the instance's resolv.conf answers
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (execute(new ProcessBuilder(ipBinary(), "netns", "exec", namespace(Namespace.INSTANCE), "getent",
        "ahostsv4", "metadata.google.internal").redirectErrorStream(true), COMMAND_TIMEOUT, "getent").exit() != 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("network lab: the resolver at " + METADATA_IP + " does not answer: "
            + read(logOf(dnsmasq)));
      }
      sleep(10);
    }
  }

  private void restartDnsmasq() {
    if (dnsmasq != null) {
      stop(dnsmasq);
      dnsmasq = null;
    }
    startDnsmasq();
  }

  /** Whether the instance's resolver answers the private zone: attached to the VPC, and VPC egress present. */
  public synchronized boolean zoneVisible() {
    return zoneAttached && egress != Egress.NONE;
  }

  private void routes() {
    List<String> lines = new ArrayList<>();
    lines.add("link set conn " + (egress == Egress.CONNECTOR ? "up" : "down"));
    lines.add("link set dvpc " + (egress == Egress.DIRECT_VPC ? "up" : "down"));
    String via = switch (egress) {
      case CONNECTOR -> "via 100.96.0.1 dev conn";
      case DIRECT_VPC -> "via 10.9.0.1 dev dvpc";
      case NONE -> null;
    };
    boolean all = via != null && scope == Scope.ALL_TRAFFIC;
    lines.add("route replace default " + (all ? via : "via 192.0.2.1 dev own"));
    for (String range : List.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")) {
      lines.add(via == null ? "route flush " + range : "route replace " + range + " " + via);
    }
    batch(Namespace.INSTANCE, lines.toArray(String[]::new));
  }

  private void vpcRules() {
    StringBuilder filter = new StringBuilder("*filter\n");
    firewall.forEach((key, action) -> {
      String[] ipPort = key.split(":");
      String match = "-A INPUT -d " + ipPort[0] + "/32 -p tcp --dport " + ipPort[1];
      switch (action) {
        case DROP -> filter.append(match).append(" -j DROP\n");
        case REJECT -> filter.append(match).append(" -j REJECT --reject-with icmp-admin-prohibited\n");
        case ALLOW -> { }
      }
    });
    if (nat == Nat.OFF) {
      filter.append("-A FORWARD -s 10.0.0.0/8 -o wan -j DROP\n"); // no Cloud NAT: a VPC address has no way out
    }
    filter.append("COMMIT\n*nat\n");
    if (nat != Nat.OFF) {
      filter.append("-A POSTROUTING -s 10.0.0.0/8 -o wan -j SNAT --to-source ")
          .append(nat == Nat.STATIC ? NAT_STATIC_IP : NAT_EPHEMERAL_IP).append('\n');
    }
    filter.append("COMMIT\n");
    rules(Namespace.VPC, filter.toString());
  }

  // ---------------------------------------------------------------- processes

  /**
   * Starts {@code command} inside {@code ns} with exactly {@code env} (plus {@code PATH}); stopped by {@link
   * #close()}. Output goes to a log file in the lab's directory.
   */
  public synchronized Process start(Namespace ns, Map<String, String> env, List<String> command) {
    List<String> full = new ArrayList<>(List.of(ipBinary(), "netns", "exec", namespace(ns)));
    full.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"));
    pb.environment().putAll(env);
    Path log = dir.resolve("p" + (started++) + "-" + Path.of(command.get(0)).getFileName() + ".log");
    pb.redirectOutput(log.toFile());
    try {
      Process p = pb.start();
      processes.add(p);
      logs.put(p, log);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command + " in " + namespace(ns), e);
    }
  }

  /**
   * Starts a JVM running {@code mainClass} with this JVM's class path inside {@code ns} (a thread cannot change
   * namespace in Java, so SDK code runs in a child JVM). DNS caching is off so each lookup reaches the resolver.
   */
  public Process startJava(Namespace ns, Map<String, String> env, String mainClass, String... args) {
    return start(ns, env, javaCommand(mainClass, args));
  }

  /**
   * Starts a JVM like {@link #startJava}, with its standard input and output left as pipes for the caller (a
   * long-lived agent answering requests keeps the lab to one JVM start); standard error goes to the lab's log.
   */
  public synchronized Process startJavaPiped(Namespace ns, Map<String, String> env, String mainClass, String... args) {
    List<String> full = new ArrayList<>(List.of(ipBinary(), "netns", "exec", namespace(ns)));
    full.addAll(javaCommand(mainClass, args));
    ProcessBuilder pb = new ProcessBuilder(full);
    pb.environment().clear();
    pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"));
    pb.environment().putAll(env);
    Path log = dir.resolve("p" + (started++) + "-agent.log");
    pb.redirectError(log.toFile());
    try {
      Process p = pb.start();
      processes.add(p);
      logs.put(p, log);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + mainClass + " in " + namespace(ns), e);
    }
  }

  /**
   * Runs a JVM like {@link #startJava} and waits at most {@code timeout} for it to exit.
   *
   * @return its exit status and output (stdout and stderr together)
   */
  public Result runJava(Namespace ns, Map<String, String> env, Duration timeout, String mainClass, String... args) {
    List<String> full = new ArrayList<>(List.of(ipBinary(), "netns", "exec", namespace(ns)));
    full.addAll(javaCommand(mainClass, args));
    ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"));
    pb.environment().putAll(env);
    return execute(pb, timeout, String.join(" ", javaCommand(mainClass, args).subList(0, 1)) + " " + mainClass);
  }

  /**
   * One HTTP GET from inside {@code ns} (a child JVM, 5 s timeouts), e.g. to a sample listening in the instance.
   *
   * @return {@code STATUS BODY}, or {@code ExceptionClass: message}
   */
  public String httpGet(Namespace ns, String url) {
    return runJava(ns, Map.of(), Duration.ofSeconds(30), HttpGet.class.getName(), url).output().trim();
  }

  /** One HTTP POST of a JSON body from inside {@code ns}, like {@link #httpGet}. */
  public String httpPost(Namespace ns, String url, String json) {
    return runJava(ns, Map.of(), Duration.ofSeconds(30), HttpGet.class.getName(), url, json).output().trim();
  }

  /** The child-JVM side of {@link #httpGet} and {@link #httpPost}: prints {@code STATUS BODY} of one request. */
  public static final class HttpGet {
    private HttpGet() {}

    public static void main(String[] args) {
      try {
        java.net.HttpURLConnection c = (java.net.HttpURLConnection) java.net.URI.create(args[0]).toURL()
            .openConnection(java.net.Proxy.NO_PROXY);
        c.setConnectTimeout(5000);
        c.setReadTimeout(args.length > 1 ? 20000 : 5000);
        if (args.length > 1) {
          c.setRequestMethod("POST");
          c.setDoOutput(true);
          c.setRequestProperty("Content-Type", "application/json");
          c.getOutputStream().write(args[1].getBytes(StandardCharsets.UTF_8));
        }
        int status = c.getResponseCode();
        java.io.InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream();
        System.out.println(status + " " + (in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim()));
      } catch (IOException e) {
        System.out.println(e.getClass().getSimpleName() + ": " + e.getMessage());
      }
    }
  }

  /** Runs {@code command} inside {@code ns} and waits at most {@code timeout} (e.g. {@code redis-cli} in the VPC). */
  public Result exec(Namespace ns, Duration timeout, String... command) {
    List<String> full = new ArrayList<>(List.of(ipBinary(), "netns", "exec", namespace(ns)));
    full.addAll(List.of(command));
    return execute(new ProcessBuilder(full).redirectErrorStream(true), timeout, command[0]);
  }

  /** The exit status and combined output of a command run in the lab. */
  public record Result(int exit, String output) { }

  private List<String> javaCommand(String mainClass, String... args) {
    // java.security sets networkaddress.cache.negative.ttl=10, which wins over -Dsun.net.inetaddr.negative.ttl:
    // an added security properties file turns caching off, so every lookup reaches the lab's resolver
    Path security = dir.resolve("no-dns-cache.security");
    if (!Files.exists(security)) {
      write(security, "networkaddress.cache.ttl=0\nnetworkaddress.cache.negative.ttl=0\n");
    }
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
        "-Djava.security.properties=" + security,
        "-cp", System.getProperty("java.class.path"), mainClass));
    cmd.addAll(List.of(args));
    return cmd;
  }

  private void nginx(Namespace ns, String name, String servers) {
    Path root = dir.resolve("nginx-" + name);
    try {
      Files.createDirectories(root.resolve("logs"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path conf = root.resolve("nginx.conf");
    write(conf, "daemon off;\nmaster_process off;\nworker_processes 1;\nuser root;\npid " + root.resolve("nginx.pid")
        + ";\nerror_log " + root.resolve("logs/error.log") + ";\nevents { worker_connections 64; }\nhttp {\n"
        + "  access_log off;\n  client_body_temp_path " + root + ";\n  proxy_temp_path " + root + ";\n"
        + "  fastcgi_temp_path " + root + ";\n  uwsgi_temp_path " + root + ";\n  scgi_temp_path " + root + ";\n"
        + servers + "}\n");
    String nginx = RedisBinary.onPath("nginx") != null ? RedisBinary.onPath("nginx").toString() : "/usr/sbin/nginx";
    Process p = start(ns, Map.of(), List.of(nginx, "-p", root.toString(), "-c", conf.toString()));
    Matcher m = Pattern.compile("listen ([0-9.]+):(\\d+)").matcher(servers);
    while (m.find()) {
      awaitPort(ns, m.group(1), Integer.parseInt(m.group(2)), p);
    }
  }

  /** Base64url of the start of a JWT payload {@code {"aud":"AUDIENCE"}, for nginx to match the audience. */
  static String audiencePrefix(String audience) {
    String json = "{\"aud\":\"" + audience + "\"";
    int usable = json.length() / 3 * 3; // whole 3-byte groups encode independently of what follows
    return java.util.Base64.getUrlEncoder().withoutPadding()
        .encodeToString(json.substring(0, usable).getBytes(StandardCharsets.UTF_8));
  }

  // ---------------------------------------------------------------- teardown

  /** Kills every process the lab started and deletes its namespaces and files. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    OPEN.remove(this);
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      waitFor(p);
    }
    for (Namespace ns : Namespace.values()) {
      remove(namespace(ns));
    }
    TlsMaterial.deleteTree(dir);
  }

  /**
   * Deletes the namespaces (and kills their processes) of labs whose owner JVM is no longer alive, e.g. after
   * {@code kill -9}. Called by {@link #start()}.
   */
  public static void sweep() {
    if (unavailableReason().isPresent()) {
      return;
    }
    Result list = execute(new ProcessBuilder(ipBinary(), "netns", "list").redirectErrorStream(true),
        COMMAND_TIMEOUT, "ip netns list");
    for (String line : list.output().split("\n")) {
      Matcher m = NAME.matcher(line.trim());
      if (m.lookingAt() && ProcessHandle.of(Long.parseLong(m.group(1))).map(h -> !h.isAlive()).orElse(true)) {
        remove(line.trim().split("\\s+")[0]);
      }
    }
  }

  private static void remove(String ns) {
    Result pids = execute(new ProcessBuilder(ipBinary(), "netns", "pids", ns).redirectErrorStream(true),
        COMMAND_TIMEOUT, "ip netns pids");
    for (String pid : pids.output().split("\\s+")) {
      if (pid.matches("\\d+")) { // processes inside the lab's own namespace: the lab started them
        ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
    execute(new ProcessBuilder(ipBinary(), "netns", "del", ns).redirectErrorStream(true), COMMAND_TIMEOUT,
        "ip netns del");
    TlsMaterial.deleteTree(Path.of("/etc/netns", ns));
  }

  // ---------------------------------------------------------------- plumbing

  private void stop(Process p) {
    p.destroy();
    waitFor(p);
    processes.remove(p);
  }

  private static void waitFor(Process p) {
    try {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private void ip(Namespace ns, String args) {
    List<String> cmd = new ArrayList<>(List.of(ipBinary(), "-n", namespace(ns)));
    cmd.addAll(List.of(args.split(" ")));
    run(cmd.toArray(String[]::new));
  }

  private void batch(Namespace ns, String... lines) {
    Path file = dir.resolve("batch-" + ns.suffix + ".txt");
    write(file, String.join("\n", lines) + "\n");
    run(ipBinary(), "-n", namespace(ns), "-batch", file.toString());
  }

  private void exec(Namespace ns, String... command) {
    List<String> cmd = new ArrayList<>(List.of(ipBinary(), "netns", "exec", namespace(ns)));
    cmd.addAll(List.of(command));
    run(cmd.toArray(String[]::new));
  }

  private void rules(Namespace ns, String ruleset) {
    Path file = dir.resolve("rules-" + ns.suffix + ".txt");
    write(file, ruleset);
    exec(ns, iptables + "-restore", file.toString());
  }

  private static String pickIptables() {
    // iptables-nft needs the nf_tables module; the legacy binary works where it does not
    for (String candidate : List.of("iptables", "iptables-legacy")) {
      Path p = RedisBinary.onPath(candidate + "-restore");
      if (p == null && Files.isExecutable(Path.of("/usr/sbin", candidate + "-restore"))) {
        p = Path.of("/usr/sbin", candidate + "-restore");
      }
      if (p != null && execute(new ProcessBuilder(candidate, "-t", "nat", "-S").redirectErrorStream(true),
          COMMAND_TIMEOUT, candidate).exit() == 0) {
        return candidate;
      }
    }
    return "iptables";
  }

  private void run(String... command) {
    Result r = execute(new ProcessBuilder(command).redirectErrorStream(true), COMMAND_TIMEOUT, command[0]);
    if (r.exit() != 0) {
      throw new IllegalStateException("network lab: `" + String.join(" ", command) + "` failed (exit " + r.exit()
          + "): " + r.output().trim());
    }
  }

  private static Result execute(ProcessBuilder pb, Duration timeout, String what) {
    try {
      Process p = pb.start();
      p.getOutputStream().close();
      java.util.concurrent.CompletableFuture<byte[]> out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return p.getInputStream().readAllBytes();
        } catch (IOException e) {
          return new byte[0];
        }
      });
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        return new Result(-1, what + " did not finish within " + timeout.toMillis() + " ms");
      }
      return new Result(p.exitValue(), new String(out.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    } catch (IOException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      return new Result(-1, what + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, what + ": interrupted");
    }
  }

  private void awaitLine(Process p, String line, Duration timeout) {
    Path log = logOf(p);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (read(log).lines().anyMatch(line::equals)) {
        return;
      }
      if (!p.isAlive()) {
        throw new IllegalStateException("network lab: process exited before it was ready: " + read(log));
      }
      sleep(20);
    }
    throw new IllegalStateException("network lab: not ready within " + timeout.toMillis() + " ms: " + read(log));
  }

  /**
   * Waits (at most {@code timeout}) until something listens on TCP {@code port}, any address, IPv4 or IPv6, inside
   * {@code ns}, e.g. a sample started with {@link #startJava}; fails early when {@code process} exits.
   */
  public void awaitListening(Namespace ns, int port, Process process, Duration timeout) {
    String suffix = String.format(":%04X ", port);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Result r = execute(new ProcessBuilder(ipBinary(), "netns", "exec", namespace(ns), "cat", "/proc/net/tcp",
          "/proc/net/tcp6").redirectErrorStream(true), COMMAND_TIMEOUT, "cat");
      if (r.output().lines().anyMatch(l -> {
        String[] f = l.trim().split("\\s+");
        return f.length > 3 && (f[1] + " ").endsWith(suffix) && f[3].equals("0A");
      })) {
        return;
      }
      if (!process.isAlive()) {
        throw new IllegalStateException("network lab: process exited before listening on " + port + ": "
            + read(logOf(process)));
      }
      sleep(100);
    }
    throw new IllegalStateException("network lab: nothing listens on port " + port + " after " + timeout.toMillis()
        + " ms: " + read(logOf(process)));
  }

  /** Waits until something listens on {@code ip:port} inside {@code ns} (reading /proc/net/tcp there). */
  private void awaitPort(Namespace ns, String ip, int port, Process p) {
    String hex = hexAddress(ip, port);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      Result r = execute(new ProcessBuilder(ipBinary(), "netns", "exec", namespace(ns), "cat", "/proc/net/tcp")
          .redirectErrorStream(true), COMMAND_TIMEOUT, "cat");
      if (r.output().lines().anyMatch(l -> l.contains(hex + " 00000000:0000 0A"))) {
        return;
      }
      if (!p.isAlive()) {
        throw new IllegalStateException("network lab: process exited before listening on " + ip + ":" + port + ": "
            + read(logOf(p)));
      }
      sleep(20);
    }
    throw new IllegalStateException("network lab: nothing listens on " + ip + ":" + port + " after 20 s");
  }

  private void awaitUdp53(Process p) {
    String hex = hexAddress(METADATA_IP, 53);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      Result r = execute(new ProcessBuilder(ipBinary(), "netns", "exec", namespace(Namespace.INSTANCE), "cat",
          "/proc/net/udp").redirectErrorStream(true), COMMAND_TIMEOUT, "cat");
      if (r.output().contains(hex)) {
        return;
      }
      if (!p.isAlive()) {
        throw new IllegalStateException("network lab: dnsmasq exited: " + read(logOf(p)));
      }
      sleep(10);
    }
    throw new IllegalStateException("network lab: the resolver did not start within 10 s");
  }

  private static String hexAddress(String ip, int port) {
    byte[] b = DnsServer.literal(ip).getAddress();
    return String.format("%02X%02X%02X%02X:%04X", b[3], b[2], b[1], b[0], port);
  }

  private Path logOf(Process p) {
    return logs.getOrDefault(p, dir.resolve("none"));
  }

  /** What a process the lab started has printed so far (stdout and stderr), for test failure messages. */
  public String output(Process p) {
    return read(logOf(p));
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static void write(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static String ipBinary() {
    Path ip = RedisBinary.onPath("ip");
    return ip != null ? ip.toString() : "/usr/sbin/ip";
  }

  private static String dnsmasqBinary() {
    Path d = RedisBinary.onPath("dnsmasq");
    return d != null ? d.toString() : "/usr/sbin/dnsmasq";
  }

  private static boolean isRoot() {
    return "0".equals(uid());
  }

  private static String uid() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[2];
        }
      }
    } catch (IOException e) {
      // fall through
    }
    return "?";
  }

  @Override
  public String toString() {
    return "NetworkLab{" + prefix + ", egress=" + egress + ", scope=" + scope + ", nat=" + nat + ", zone=" + zone
        + (zoneVisible() ? " (visible)" : " (not visible)") + ", resolver=" + resolver + "}";
  }
}
