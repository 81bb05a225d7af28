package dev.privateegress.samples.internalapi;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.stereotype.Component;

/** Prints where to point the browser or curl once the server listens. */
@Component
class StartupLog implements ApplicationListener<WebServerInitializedEvent> {
  private static final Logger LOG = LoggerFactory.getLogger(StartupLog.class);

  @Override
  public void onApplicationEvent(WebServerInitializedEvent event) {
    LOG.info("Internal API caller ready: curl http://localhost:{}/", event.getWebServer().getPort());
  }
}
