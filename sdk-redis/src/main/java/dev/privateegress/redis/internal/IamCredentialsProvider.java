package dev.privateegress.redis.internal;

import dev.privateegress.TokenProvider;
import redis.clients.jedis.DefaultRedisCredentials;
import redis.clients.jedis.RedisCredentials;
import redis.clients.jedis.RedisCredentialsProvider;

/**
 * Memorystore IAM auth: user {@code default}, password = the runtime's OAuth2 access token. Jedis asks
 * for credentials each time it opens a connection (any pool, any cluster node, also nodes found
 * later), and the token comes from core's cache, so there is no IAM or metadata call per connection;
 * a refreshed token is picked up by the next new connection. Open connections stay authenticated
 * after their token expires (Memorystore checks the token at AUTH time only).
 */
public final class IamCredentialsProvider implements RedisCredentialsProvider {
  private final TokenProvider tokens;

  /** @param tokens core's token provider, whose cached access token becomes the password */
  public IamCredentialsProvider(TokenProvider tokens) {
    this.tokens = tokens;
  }

  @Override
  public RedisCredentials get() {
    return new DefaultRedisCredentials("default", tokens.accessToken().value());
  }

  @Override
  public String toString() {
    return "IamCredentialsProvider{user=default, password=<access token>}";
  }
}
