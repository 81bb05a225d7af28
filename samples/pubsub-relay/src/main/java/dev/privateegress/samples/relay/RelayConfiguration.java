package dev.privateegress.samples.relay;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/** The relay's own settings; the SDK's beans (PrivateEgress, OkHttpClient) come from the starter. */
@Configuration(proxyBeanMethods = false)
class RelayConfiguration {

  @Bean
  RelaySettings relaySettings(Environment env) {
    return RelaySettings.from(env::getProperty);
  }
}
