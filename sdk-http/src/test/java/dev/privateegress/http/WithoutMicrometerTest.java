package dev.privateegress.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.Map;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * Micrometer is optional: with no {@code io.micrometer} class on the class path, building an egress, a client
 * and making a call (with its retry) must not load one.
 */
class WithoutMicrometerTest {

  /** Defines every class itself from the test class path, except Micrometer's, which it cannot find. */
  static final class HidingLoader extends ClassLoader {
    HidingLoader() {
      super(ClassLoader.getPlatformClassLoader());
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
      if (name.startsWith("io.micrometer.")) {
        throw new ClassNotFoundException(name);
      }
      URL url = WithoutMicrometerTest.class.getClassLoader().getResource(name.replace('.', '/') + ".class");
      if (url == null) {
        throw new ClassNotFoundException(name);
      }
      try (InputStream in = url.openStream()) {
        byte[] b = in.readAllBytes();
        return defineClass(name, b, 0, b.length);
      } catch (IOException e) {
        throw new ClassNotFoundException(name, e);
      }
    }

    @Override
    public URL getResource(String name) {
      return name.startsWith("io/micrometer/") ? null : WithoutMicrometerTest.class.getClassLoader().getResource(name);
    }
  }

  /** Runs inside the hiding loader. */
  public static final class Call {
    public static int run(String url) throws IOException {
      OkHttpClient client = PrivateHttp.newClient(dev.privateegress.PrivateEgress.builder()
          .environment(Map.of("PRIVATE_EGRESS_HOSTS", "my.api.private=127.0.0.1")).retryPolicy(Fixtures.FAST)
          .build());
      try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
        return r.code();
      }
    }
  }

  @Test
  void aCallWithRetriesNeedsNoMicrometer() throws Exception {
    HidingLoader loader = new HidingLoader();
    assertThatThrownBy(() -> loader.loadClass("io.micrometer.observation.ObservationRegistry"))
        .isInstanceOf(ClassNotFoundException.class);
    try (MockWebServer server = Fixtures.server()) {
      server.enqueue(Fixtures.status(503));
      server.enqueue(Fixtures.status(200));
      Class<?> call = loader.loadClass(Call.class.getName());
      assertThat(call.getClassLoader()).isSameAs(loader);
      Object code = call.getMethod("run", String.class)
          .invoke(null, "http://my.api.private:" + server.getPort() + "/");
      assertThat(code).isEqualTo(200);
      assertThat(server.getRequestCount()).isEqualTo(2);
    }
  }
}
