package dev.privateegress.samples.internalapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;

class InternalApiControllerTest {

  @Test
  void aBadUrlNamesTheVariableTheValueAndTheFix() {
    for (String bad : new String[] {"my.api.private", "ftp://my.api.private/", "http://", "http://my api/"}) {
      assertThatThrownBy(() -> InternalApiController.target(bad)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("INTERNAL_API_URL").hasMessageContaining("'" + bad + "'")
          .hasMessageContaining("http://my.api.private/");
    }
    assertThat(InternalApiController.target(" http://my.api.private/ ")).hasToString("http://my.api.private/");
  }

  @Test
  void shownUrlsCarryNoUserInfoOrQuery() {
    assertThat(InternalApiController.shown(URI.create("http://u:secret@my.api.private:8080/v1?key=abc")))
        .isEqualTo("http://my.api.private:8080/v1");
    assertThat(InternalApiController.shown(URI.create("https://my.api.private"))).isEqualTo("https://my.api.private/");
  }
}
