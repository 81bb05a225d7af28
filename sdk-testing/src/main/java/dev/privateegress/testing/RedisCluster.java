package dev.privateegress.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A Redis cluster of real redis-server processes on loopback, started by {@link RedisLauncher#cluster}:
 * masters with the slots split evenly, optionally replicas, TLS and {@code appendfsync always}. Nodes
 * can be killed and restarted ({@link RedisNode#kill()}, {@link RedisNode#start()}) to test failover and
 * rejoin; {@link #close()} destroys every node and deletes their files.
 *
 * <pre>{@code
 * try (RedisCluster c = RedisLauncher.cluster(3).replicas(1).fsyncAlways(true).start()) {
 *   RedisNode master = c.nodeForKey("counter");
 *   master.kill();                       // its replica takes over
 *   c.awaitOk(30_000);
 * }
 * }</pre>
 */
public final class RedisCluster implements AutoCloseable {
  private static final int SLOTS = 16384;

  private final List<RedisNode> nodes;
  private final int masters;

  private RedisCluster(List<RedisNode> nodes, int masters) {
    this.nodes = List.copyOf(nodes);
    this.masters = masters;
  }

  /** Every node: the masters as started, in slot order (node 0 owns the lowest slots), then the replicas. */
  public List<RedisNode> nodes() {
    return nodes;
  }

  /** Node {@code i} of {@link #nodes()}. */
  public RedisNode node(int i) {
    return nodes.get(i);
  }

  /** The nodes started as replicas (empty without {@link Builder#replicas}); roles change on failover. */
  public List<RedisNode> replicas() {
    return nodes.subList(masters, nodes.size());
  }

  /** {@code 127.0.0.1:PORT} of node 0 (its TLS port on a TLS cluster): a seed for cluster clients. */
  public String seed() {
    return nodes.get(0).host() + ":" + nodes.get(0).clientPort();
  }

  /**
   * The running master that serves {@code key} now, as the running nodes see it. (The slot map names
   * plaintext ports to plaintext connections such as the launcher's, and TLS ports to TLS clients.)
   */
  public RedisNode nodeForKey(String key) {
    RedisNode any = running().get(0);
    long slot = (Long) any.command("CLUSTER", "KEYSLOT", key);
    for (Object range : (List<?>) any.command("CLUSTER", "SLOTS")) {
      List<?> r = (List<?>) range;
      if ((Long) r.get(0) <= slot && slot <= (Long) r.get(1)) {
        long port = (Long) ((List<?>) r.get(2)).get(1);
        for (RedisNode n : nodes) {
          if (n.clientPort() == port || n.port() == port) {
            return n;
          }
        }
      }
    }
    throw new IllegalStateException("no node serves slot " + slot + " of " + key);
  }

  /** The running node that replicates {@code master} now, or null. */
  public RedisNode replicaOf(RedisNode master) {
    for (RedisNode n : running()) {
      if (n != master && n.command("ROLE") instanceof List<?> role && "slave".equals(role.get(0))
          && (Long.valueOf(master.clientPort()).equals(role.get(2)) || Long.valueOf(master.port()).equals(role.get(2)))) {
        return n;
      }
    }
    return null;
  }

  private List<RedisNode> running() {
    List<RedisNode> r = new ArrayList<>();
    for (RedisNode n : nodes) {
      if (n.isRunning()) {
        r.add(n);
      }
    }
    if (r.isEmpty()) {
      throw new IllegalStateException("no node of " + this + " is running");
    }
    return r;
  }

  /**
   * Waits until every running node reports {@code cluster_state:ok} with all 16384 slots served, knows
   * every other running node as connected, and every running replica is in sync with its master.
   * Stopped nodes are left out, so this also waits for the end of a failover.
   *
   * @throws IllegalStateException after {@code timeoutMillis}
   */
  public RedisCluster awaitOk(long timeoutMillis) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    String last = "";
    while (true) {
      String problem = null;
      for (RedisNode n : running()) {
        problem = problem(n);
        if (problem != null) {
          last = n + ": " + problem;
          break;
        }
      }
      if (problem == null) {
        return this;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("cluster not ok after " + timeoutMillis + " ms: " + last);
      }
      Ports.sleep(50);
    }
  }

  /** What keeps {@code n} from being ok, or null. */
  private String problem(RedisNode n) {
    try {
      String info = String.valueOf(n.command("CLUSTER", "INFO"));
      if (!info.contains("cluster_state:ok") || !info.contains("cluster_slots_ok:" + SLOTS)) {
        return info.lines().filter(l -> l.startsWith("cluster_state") || l.startsWith("cluster_slots_ok"))
            .toList().toString();
      }
      String known = String.valueOf(n.command("CLUSTER", "NODES"));
      if (known.lines().filter(l -> !l.isBlank()).count() != nodes.size()) {
        return "knows " + known.lines().filter(l -> !l.isBlank()).count() + " nodes:\n" + known;
      }
      for (String line : known.lines().toList()) {
        RedisNode other = byAddress(line);
        if (other != null && other.isRunning() && (line.contains("fail") || line.contains("disconnected")
            || line.contains("handshake") || line.contains("noaddr"))) {
          return "sees " + line;
        }
      }
      String replication = String.valueOf(n.command("INFO", "replication"));
      if (replication.contains("role:slave") && !replication.contains("master_link_status:up")) {
        return "replica not in sync";
      }
      return null;
    } catch (RuntimeException e) {
      return e.getMessage();
    }
  }

  private RedisNode byAddress(String nodesLine) {
    String[] f = nodesLine.split(" ");
    if (f.length < 2) {
      return null;
    }
    String addr = f[1];
    int colon = addr.lastIndexOf(':');
    int at = addr.indexOf('@', colon);
    try {
      int p = Integer.parseInt(addr.substring(colon + 1, at < 0 ? addr.length() : at));
      for (RedisNode n : nodes) {
        if (n.port() == p || n.clientPort() == p) {
          return n;
        }
      }
    } catch (RuntimeException e) {
      // not an address field
    }
    return null;
  }

  @Override
  public void close() {
    nodes.forEach(RedisNode::close);
  }

  @Override
  public String toString() {
    return "RedisCluster" + nodes;
  }

  /** Options for a cluster. */
  public static final class Builder {
    private final int masters;
    private int replicas;
    private final NodeOptions options = new NodeOptions();

    Builder(int masters) {
      if (masters < 1 || masters > 16) {
        throw new IllegalArgumentException("masters must be 1-16, was " + masters);
      }
      this.masters = masters;
      options.cluster = true;
    }

    /** Replicas per master (0-2); default 0. A killed master is then replaced by its replica. */
    public Builder replicas(int perMaster) {
      if (perMaster < 0 || perMaster > 2) {
        throw new IllegalArgumentException("replicas per master must be 0-2, was " + perMaster);
      }
      this.replicas = perMaster;
      return this;
    }

    /** Turns on the append-only file on every node. */
    public Builder appendOnly(boolean on) {
      options.appendOnly = on;
      return this;
    }

    /**
     * {@code appendfsync always} on every node (turns on {@link #appendOnly}): a write a node
     * acknowledged survives its {@code kill -9}, so a test sees only what the client did.
     */
    public Builder fsyncAlways(boolean on) {
      options.fsyncAlways = on;
      options.appendOnly |= on;
      return this;
    }

    /**
     * TLS for clients ({@link RedisNode#tlsPort()}, announced in the slot map), the cluster bus and
     * replication ({@code tls-cluster}, {@code tls-replication}). Plaintext ports stay open for the
     * launcher's own admin commands.
     */
    public Builder tls(TlsMaterial material) {
      options.tls = Objects.requireNonNull(material, "material");
      return this;
    }

    /** Any other configuration directive for every node, e.g. {@code config("timeout", "1")}; no secrets. */
    public Builder config(String name, String... values) {
      options.extra.add("--" + Objects.requireNonNull(name, "name"));
      options.extra.addAll(List.of(values));
      return this;
    }

    /**
     * One node on a fresh port pair; picks another pair when a process took the data or bus port
     * between the probe and redis-server's bind (seen with many test JVMs on one machine).
     */
    private RedisNode startNode() {
      for (int attempt = 1; ; attempt++) {
        RedisNode node = new RedisNode(options.copy(), Ports.freePortWithBus());
        try {
          return node.start();
        } catch (IllegalStateException e) {
          node.close();
          if (attempt == 3 || !String.valueOf(e.getMessage()).contains("Address already in use")) {
            throw e;
          }
        }
      }
    }

    /**
     * Starts the nodes, assigns slots, introduces them to each other, attaches the replicas and waits
     * until the cluster is ok ({@link #awaitOk}).
     */
    public RedisCluster start() {
      List<RedisNode> nodes = new ArrayList<>();
      try {
        for (int i = 0; i < masters * (1 + replicas); i++) {
          nodes.add(startNode());
        }
        int per = SLOTS / masters;
        for (int i = 0; i < masters; i++) {
          int from = i * per;
          int to = i == masters - 1 ? SLOTS - 1 : from + per - 1;
          List<String> args = new ArrayList<>(List.of("CLUSTER", "ADDSLOTS")); // ADDSLOTSRANGE needs Redis 7
          for (int s = from; s <= to; s++) {
            args.add(Integer.toString(s));
          }
          nodes.get(i).command(args.toArray(new String[0]));
        }
        for (int i = 1; i < nodes.size(); i++) {
          // The bus port is the client port + 10000 (the default; the TLS port's with tls-cluster).
          nodes.get(i).command("CLUSTER", "MEET", "127.0.0.1", Integer.toString(nodes.get(0).clientPort()));
        }
        for (int i = masters; i < nodes.size(); i++) {
          replicate(nodes.get(i), nodes.get((i - masters) % masters).clusterId());
        }
        return new RedisCluster(nodes, masters).awaitOk(30_000);
      } catch (RuntimeException e) {
        nodes.forEach(RedisNode::close);
        throw e;
      }
    }

    /** {@code CLUSTER REPLICATE}, once the replica has learned of its master through the bus. */
    private static void replicate(RedisNode replica, String masterId) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (true) {
        try {
          replica.command("CLUSTER", "REPLICATE", masterId);
          return;
        } catch (RedisError e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(replica + " cannot replicate " + masterId + ": " + e.getMessage(), e);
          }
          Ports.sleep(50);
        }
      }
    }
  }
}
