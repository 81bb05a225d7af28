package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TargetTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "http://my.api.private/, http, my.api.private, 80",
      "https://svc.a.run.app/x, https, svc.a.run.app, 443",
      "redis://10.0.0.3, redis, 10.0.0.3, 6379",
      "rediss://10.0.0.3:6378, rediss, 10.0.0.3, 6378",
      "tcp://127.0.0.1:5432, tcp, 127.0.0.1, 5432",
      "tcp://[::1]:5432, tcp, ::1, 5432",
  })
  void parses(String text, String scheme, String host, int port) {
    Target t = Target.parse(text);
    assertThat(t.scheme()).isEqualTo(scheme);
    assertThat(t.host()).isEqualTo(host);
    assertThat(t.port()).isEqualTo(port);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "ftp://x/           | unsupported scheme 'ftp'",
      "my.api.private     | unsupported scheme ''",
      "tcp://127.0.0.1    | tcp:// needs a port",
      "http://:80/        | no host",
      "tcp://h:70000      | port must be 1-65535",
      "redis://127.0.0.1: | empty port after ':'; write e.g. redis://127.0.0.1:6379",
      "https://[::1]:/    | empty port after ':'; write e.g. https://[::1]:443",
      "tcp://db:          | empty port after ':'; write e.g. tcp://db:5432",
  })
  void rejectsWithTheInputAndTheFix(String text, String problem) {
    assertThatThrownBy(() -> Target.parse(text))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("target=" + text + " is invalid")
        .hasMessageContaining(problem);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "redis://:hunter@2secret@10.0.0.3:6379   | redis://:****@10.0.0.3:6379",
      "redis://u:pa/ss@wd@10.0.0.3:6379        | redis://u:****@10.0.0.3:6379",
      "redis://secret-only@10.0.0.3:6379       | redis://****@10.0.0.3:6379",
      "user:secret@host:1                      | user:****@host:1",
      "http://h/path                           | http://h/path",
  })
  void maskUserInfo_hidesEveryPartOfAPassword(String text, String masked) {
    assertThat(Target.maskUserInfo(text)).isEqualTo(masked);
  }

  @Test
  void badRedisUrlWithAnAtInThePassword_neverShowsAnyPartOfIt() {
    ConfigurationException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigurationException.class,
        () -> PrivateEgress.builder().redisUrl("redis://:hunter@2secret@").build());
    assertThat(e.getMessage()).doesNotContain("hunter").doesNotContain("2secret");
  }

  @Test
  void toString_masksPasswords() {
    Target t = Target.parse("redis://default:hunter2@10.0.0.3:6379");
    assertThat(t.toString()).isEqualTo("redis://default:****@10.0.0.3:6379");
    assertThatThrownBy(() -> Target.parse("ftp://u:hunter2@h/")).hasMessageNotContaining("hunter2");
  }
}
