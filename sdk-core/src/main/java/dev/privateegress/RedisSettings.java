package dev.privateegress;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The Redis target read from {@code REDIS_URL} or {@code REDISHOST}/{@code REDISPORT}, plus {@code
 * REDIS_AUTH}, {@code REDIS_TLS_CA}, {@code REDIS_IAM_AUTH} and {@code REDIS_CLUSTER}. Used by
 * sdk-redis. {@link #toString()} never shows the password.
 */
public final class RedisSettings {
  private final String host;
  private final int port;
  private final String username;
  private final String password;
  private final int database;
  private final boolean tls;
  private final Path caFile;
  private final boolean iamAuth;
  private final boolean cluster;

  RedisSettings(String host, int port, String username, String password, int database, boolean tls,
      Path caFile, boolean iamAuth, boolean cluster) {
    this.host = Objects.requireNonNull(host, "host");
    this.port = port;
    this.username = username;
    this.password = password;
    this.database = database;
    this.tls = tls;
    this.caFile = caFile;
    this.iamAuth = iamAuth;
    this.cluster = cluster;
  }

  /** Host name or IP (Memorystore: the instance's private IP or discovery endpoint). */
  public String host() {
    return host;
  }

  /** Port; 6379 by default (Memorystore with in-transit encryption listens on 6378). */
  public int port() {
    return port;
  }

  /** ACL user name from the URL, if any ({@code default} is used for IAM auth). */
  public Optional<String> username() {
    return Optional.ofNullable(username);
  }

  /** The password from the URL or {@code REDIS_AUTH}. Secret: never log it. */
  public Optional<String> password() {
    return Optional.ofNullable(password);
  }

  /** Database index from the URL path ({@code /2}); 0 by default. */
  public int database() {
    return database;
  }

  /** True for {@code rediss://} or when {@code REDIS_TLS_CA} is set. */
  public boolean tls() {
    return tls;
  }

  /** PEM file with one or more CA certificates to verify the server against. */
  public Optional<Path> caFile() {
    return Optional.ofNullable(caFile);
  }

  /** Send an OAuth2 access token as the password (Memorystore Cluster / Valkey IAM auth). */
  public boolean iamAuth() {
    return iamAuth;
  }

  /** Treat the target as a cluster discovery endpoint. */
  public boolean cluster() {
    return cluster;
  }

  /** {@code host:port}. */
  public String address() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public String toString() {
    return "RedisSettings{" + (tls ? "rediss" : "redis") + "://" + address()
        + (database != 0 ? "/" + database : "")
        + ", user=" + (username == null ? "-" : username.matches("[A-Za-z0-9._~-]{1,64}") ? username : "(not shown)")
        + ", password=" + (password == null ? "none" : "****")
        + ", caFile=" + (caFile == null ? "-" : caFile)
        + ", iamAuth=" + iamAuth + ", cluster=" + cluster + "}";
  }
}
