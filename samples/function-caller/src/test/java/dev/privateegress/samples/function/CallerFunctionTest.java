package dev.privateegress.samples.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;

class CallerFunctionTest {

  @Test
  void defaultsToThePrivateNameOfTheFieldReport() {
    assertThat(CallerFunction.targetUrl(Map.of())).hasToString("http://my.api.private/");
  }

  @Test
  void aBadUrlNamesTheVariableTheValueAndTheFix() {
    assertThatThrownBy(() -> CallerFunction.targetUrl(Map.of("INTERNAL_API_URL", "my.api.private")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("INTERNAL_API_URL")
        .hasMessageContaining("'my.api.private'")
        .hasMessageContaining("http://my.api.private/");
  }

  @Test
  void shownUrlsCarryNoUserInfoOrQuery() {
    HttpUrl url = HttpUrl.get("http://user:secret@my.api.private:8080/items?token=abc#x");
    assertThat(CallerFunction.shown(url)).isEqualTo("http://my.api.private:8080/items");
  }
}
