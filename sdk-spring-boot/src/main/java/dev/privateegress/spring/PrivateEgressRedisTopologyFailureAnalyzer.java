package dev.privateegress.spring;

import dev.privateegress.spring.internal.RedisTopologyException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Spring's start-up report for a Spring Data Redis topology the SDK does not connect to (Sentinel, master/replica). */
final class PrivateEgressRedisTopologyFailureAnalyzer extends AbstractFailureAnalyzer<RedisTopologyException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, RedisTopologyException cause) {
    return new FailureAnalysis(cause.getMessage(),
        "Either configure a standalone Redis (spring.data.redis.url or .host) or a cluster "
            + "(spring.data.redis.cluster.nodes) instead of " + cause.setting() + "; or name the Redis the SDK "
            + "should use with private-egress.redis.url (REDIS_URL), and Spring Data Redis keeps " + cause.setting()
            + " without the SDK's settings; or, to keep Spring Data Redis apart from the SDK, exclude "
            + "dev.privateegress.spring.PrivateEgressDataRedisAutoConfiguration (spring.autoconfigure.exclude).",
        cause);
  }
}
