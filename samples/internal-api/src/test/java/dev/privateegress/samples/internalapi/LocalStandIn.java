package dev.privateegress.samples.internalapi;

import com.sun.net.httpserver.HttpServer;
import dev.privateegress.testing.FakeMetadataServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * {@code INTERNAL_API_STAND_IN=true}: the whole path on a laptop, without Google Cloud. Starts the SDK's fake
 * metadata server (it mints unsigned ID tokens) and a stand-in for {@code my.api.private} on free loopback
 * ports, and points the service at them exactly as a user would by hand: {@code PRIVATE_EGRESS_HOSTS=
 * my.api.private=127.0.0.1}, {@code PRIVATE_EGRESS_AUDIENCES}, {@code GCE_METADATA_HOST} and
 * {@code INTERNAL_API_URL}. The stand-in answers with what it received: the path and the token's audience.
 * Both stop with the application.
 */
public final class LocalStandIn implements ApplicationContextInitializer<ConfigurableApplicationContext> {
  static final String SWITCH = "INTERNAL_API_STAND_IN";
  static final String AUDIENCE = "https://my.api.private";
  private static final Logger LOG = LoggerFactory.getLogger(LocalStandIn.class);

  @Override
  public void initialize(ConfigurableApplicationContext context) {
    ConfigurableEnvironment env = context.getEnvironment();
    if (!Boolean.parseBoolean(env.getProperty(SWITCH, "false"))) {
      return;
    }
    FakeMetadataServer metadata = FakeMetadataServer.start();
    HttpServer api = standIn();
    int port = api.getAddress().getPort();
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("private-egress.hosts", "my.api.private=127.0.0.1");
    props.put("private-egress.audiences", "my.api.private=" + AUDIENCE);
    props.put("private-egress.metadata-host", metadata.hostPort());
    props.put(InternalApiController.URL_VARIABLE, "http://my.api.private:" + port + "/");
    env.getPropertySources().addFirst(new MapPropertySource("localStandIn", props));
    LOG.info("Stand-in mode: my.api.private -> 127.0.0.1:{} (a local stand-in), ID tokens for audience {} from the "
        + "SDK's fake metadata server at {}", port, AUDIENCE, metadata.hostPort());
    ((DefaultListableBeanFactory) context.getBeanFactory()).registerDisposableBean("localStandIn", () -> {
      api.stop(0);
      metadata.close();
    });
  }

  private static HttpServer standIn() {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
      server.createContext("/", exchange -> {
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        String body = "{\"from\":\"stand-in for my.api.private\",\"method\":\"" + exchange.getRequestMethod()
            + "\",\"path\":\"" + exchange.getRequestURI().getRawPath() + "\",\"host\":\""
            + exchange.getRequestHeaders().getFirst("Host") + "\",\"idTokenAudience\":"
            + (auth == null ? "null" : "\"" + audience(auth) + "\"") + "}\n";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(bytes);
        }
      });
      server.start();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the stand-in for my.api.private on loopback", e);
    }
  }

  /** The {@code aud} claim, read without verifying (the stand-in only shows what arrived). */
  static String audience(String authorization) {
    try {
      String[] parts = authorization.substring(authorization.indexOf(' ') + 1).split("\\.");
      String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"aud\"\\s*:\\s*\"([^\"]*)\"").matcher(payload);
      return m.find() ? m.group(1) : "?";
    } catch (RuntimeException e) {
      return "?";
    }
  }
}
