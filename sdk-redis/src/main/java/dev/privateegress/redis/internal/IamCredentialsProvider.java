package dev.privateegress.redis.internal;

import dev.privateegress.Token;
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
 *
 * <p>When the server refuses a token (its ACL moved on to a newer one, or the grant was revoked),
 * {@link #refreshAfterRejection} reports it to {@link TokenProvider#refreshAccessToken}, which fetches a
 * new token at most once per {@code staleRetryInterval} however many connections report it.
 */
public final class IamCredentialsProvider implements RedisCredentialsProvider {
  private final TokenProvider tokens;
  /** The token most recently handed to a connection: the one a refused AUTH used. */
  private volatile Token lastIssued;

  /** @param tokens core's token provider, whose cached access token becomes the password */
  public IamCredentialsProvider(TokenProvider tokens) {
    this.tokens = tokens;
  }

  @Override
  public RedisCredentials get() {
    Token t = tokens.accessToken();
    lastIssued = t;
    return new DefaultRedisCredentials("default", t.value());
  }

  /**
   * The server refused the last token: asks the provider for a newer one. True when it returned a
   * different token, so one more connect may succeed; false when the provider kept the refused one (a
   * refresh was already forced within {@code staleRetryInterval}, or the fetch failed).
   */
  public boolean refreshAfterRejection() {
    Token rejected = lastIssued;
    if (rejected == null) {
      return false;
    }
    try {
      Token fresh = tokens.refreshAccessToken(rejected);
      return fresh != null && !fresh.equals(rejected);
    } catch (RuntimeException e) {
      return false; // the refused token's AUTH failure is the better explanation
    }
  }

  @Override
  public String toString() {
    return "IamCredentialsProvider{user=default, password=<access token>}";
  }
}
