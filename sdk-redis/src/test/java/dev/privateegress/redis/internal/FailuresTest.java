package dev.privateegress.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.exceptions.JedisConnectionException;

/** Connect timeouts, reply timeouts, refusals and resets each keep their own kind and outcome name. */
class FailuresTest {

  @Test
  void timeoutsAreNotConnectFailuresUnlessTheConnectTimedOut() {
    JedisConnectionException read = new JedisConnectionException(new SocketTimeoutException("Read timed out"));
    JedisConnectionException connect = new JedisConnectionException("Failed to connect to redis 10.0.0.3:6379.",
        new SocketTimeoutException("Connect timed out"));
    assertThat(Failures.classify(read)).isEqualTo(Failures.Kind.TIMEOUT);
    assertThat(Failures.classify(connect)).isEqualTo(Failures.Kind.CONNECT_TIMEOUT);
    assertThat(CommandEvents.outcome(Failures.classify(read))).isEqualTo("timeout");
    assertThat(CommandEvents.outcome(Failures.classify(connect))).isEqualTo("connect-timeout");
  }

  @Test
  void refusalsAndResetsKeepTheirNamesAlsoWhenJedisKeepsTheCauseAsSuppressed() {
    // Jedis' own socket factory reports "Failed to connect" with each address's failure suppressed.
    JedisConnectionException refused = new JedisConnectionException("Failed to connect to 10.0.0.3:6379.");
    refused.addSuppressed(new ConnectException("Connection refused"));
    JedisConnectionException timedOut = new JedisConnectionException("Failed to connect to 10.0.0.3:6379.");
    timedOut.addSuppressed(new SocketTimeoutException("Connect timed out"));
    JedisConnectionException reset = new JedisConnectionException(new SocketException("Connection reset"));
    assertThat(CommandEvents.outcome(Failures.classify(refused))).isEqualTo("connect");
    assertThat(CommandEvents.outcome(Failures.classify(timedOut))).isEqualTo("connect-timeout");
    assertThat(CommandEvents.outcome(Failures.classify(reset))).isEqualTo("reset");
    assertThat(Failures.advice(Failures.Kind.CONNECT_TIMEOUT, new Endpoint("h", "h", 6379, false,
        java.util.Optional.empty(), false, java.util.Optional.empty(), false), timedOut))
        .contains("nothing answered the connect");
  }
}
