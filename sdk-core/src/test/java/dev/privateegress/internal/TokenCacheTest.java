package dev.privateegress.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.Token;
import dev.privateegress.TokenOptions;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TokenCacheTest {
  private final Clock clock = Clock.systemUTC();
  private final AtomicInteger fetches = new AtomicInteger();
  private final TokenCache cache = new TokenCache(clock, TokenOptions.defaults(), "ID token for ",
      (key, attempts) -> {
        fetches.incrementAndGet();
        return new Token("t-" + key, clock.instant().plus(Duration.ofHours(1)));
      });

  @Test
  void manyDistinctAudiences_stayBounded() {
    for (int i = 0; i < 5_000; i++) {
      assertThat(cache.get("https://aud-" + i).value()).isEqualTo("t-https://aud-" + i);
    }
    assertThat(cache.size()).isLessThanOrEqualTo(TokenCache.MAX_KEYS);
    assertThat(fetches).hasValue(5_000);
    // a recent key is either still cached or fetched again, never wrong
    assertThat(cache.get("https://aud-4999").value()).isEqualTo("t-https://aud-4999");
  }

  @Test
  void cachedLookup_allocatesNothing() {
    Token first = cache.get("https://aud");
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().getId();
    for (int i = 0; i < 20_000; i++) {
      cache.get("https://aud"); // warm up
    }
    long before = threads.getThreadAllocatedBytes(id);
    for (int i = 0; i < 100_000; i++) {
      if (cache.get("https://aud") != first) {
        throw new AssertionError("token changed");
      }
    }
    long allocated = threads.getThreadAllocatedBytes(id) - before;
    // 100,000 lookups; a single 24-byte Instant per lookup would be 2.4 MB
    assertThat(allocated).isLessThan(10_000);
    assertThat(fetches).hasValue(1);
  }
}
