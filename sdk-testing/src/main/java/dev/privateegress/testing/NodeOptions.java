package dev.privateegress.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one redis-server process is started with, and how that becomes its command line and its
 * secrets file. Shared by {@link RedisLauncher.Builder} and {@link RedisCluster.Builder}.
 */
final class NodeOptions {
  static final String ADMIN_USER = "launcher-admin";

  String requirePass;
  final Map<String, String> aclUsers = new LinkedHashMap<>();
  TlsMaterial tls;
  boolean appendOnly;
  boolean fsyncAlways;
  final List<String> extra = new ArrayList<>();
  boolean cluster;

  NodeOptions copy() {
    NodeOptions c = new NodeOptions();
    c.requirePass = requirePass;
    c.aclUsers.putAll(aclUsers);
    c.tls = tls;
    c.appendOnly = appendOnly;
    c.fsyncAlways = fsyncAlways;
    c.extra.addAll(extra);
    c.cluster = cluster;
    return c;
  }

  List<String> commandLine(Path dir, Path secrets, int port, int tlsPort) {
    List<String> cmd = new ArrayList<>();
    cmd.add(RedisBinary.redisServer().toString());
    // Passwords go into a file only this user can read, not on the command line where ps shows them.
    cmd.add(secrets.toString());
    add(cmd, "port", Integer.toString(port));
    add(cmd, "bind", "127.0.0.1");
    add(cmd, "protected-mode", "no");
    add(cmd, "dir", dir.toString());
    add(cmd, "logfile", dir.resolve("redis.log").toString());
    add(cmd, "daemonize", "no");
    add(cmd, "save", "");
    add(cmd, "appendonly", appendOnly ? "yes" : "no");
    if (appendOnly) {
      add(cmd, "appendfsync", fsyncAlways ? "always" : "everysec");
    }
    if (tls != null) {
      add(cmd, "tls-port", Integer.toString(tlsPort));
      add(cmd, "tls-cert-file", tls.serverCertificate().toString());
      add(cmd, "tls-key-file", tls.serverKey().toString());
      add(cmd, "tls-ca-cert-file", tls.caCertificate().toString());
      add(cmd, "tls-auth-clients", "no");
    }
    if (cluster) {
      add(cmd, "cluster-enabled", "yes");
      add(cmd, "cluster-config-file", dir.resolve("nodes.conf").toString());
      add(cmd, "cluster-node-timeout", "2000");
      add(cmd, "cluster-require-full-coverage", "no");
      add(cmd, "cluster-announce-ip", "127.0.0.1");
      if (tls != null) {
        // Nodes then announce their TLS port to clients, and talk TLS to each other.
        add(cmd, "tls-cluster", "yes");
        add(cmd, "tls-replication", "yes");
      }
    }
    cmd.addAll(extra);
    return cmd;
  }

  private static void add(List<String> cmd, String name, String value) {
    cmd.add("--" + name);
    cmd.add(value);
  }

  /** {@code secrets.conf} in {@code dir}, mode 0600: the admin user, ACL users, requirepass. */
  Path writeSecrets(Path dir, String adminPassword) {
    StringBuilder conf = new StringBuilder();
    conf.append("user ").append(ADMIN_USER).append(" on ").append(quote(">" + adminPassword))
        .append(" ~* &* +@all\n");
    for (Map.Entry<String, String> u : aclUsers.entrySet()) {
      conf.append("user ").append(quote(u.getKey())).append(" on ").append(quote(">" + u.getValue()))
          .append(" ~* &* +@all\n");
    }
    if (requirePass != null) {
      conf.append("requirepass ").append(quote(requirePass)).append('\n');
    }
    Path file = dir.resolve("secrets.conf");
    try {
      Files.deleteIfExists(file);
      try {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        Files.createFile(file); // not a POSIX file system; the directory is private to this user anyway
      }
      Files.writeString(file, conf, StandardCharsets.UTF_8);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** A double-quoted config-file argument: backslash, quote and control characters escaped. */
  private static String quote(String value) {
    StringBuilder q = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      if (c == '"' || c == '\\') {
        q.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f) {
        q.append(String.format("\\x%02x", (int) c));
      } else {
        q.append(c);
      }
    }
    return q.append('"').toString();
  }
}
