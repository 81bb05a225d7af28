package dev.privateegress.samples.relay;

import dev.privateegress.PrivateEgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/** The relay's own settings; the SDK's beans (PrivateEgress, OkHttpClient) come from the starter. */
@Configuration(proxyBeanMethods = false)
class RelayConfiguration {
  private static final Logger LOG = LoggerFactory.getLogger(RelayConfiguration.class);

  @Bean
  RelaySettings relaySettings(Environment env, PrivateEgress egress) {
    RelaySettings settings = RelaySettings.from(env::getProperty, egress::platform);
    if (!settings.open()) {
      LOG.info("Push tokens are verified: aud {}, email {}, keys from {}", settings.pushAudience(),
          settings.pushServiceAccount(), settings.certificatesLocation() == null
              ? PushTokenVerifier.GOOGLE_CERTS : settings.certificatesLocation());
    } else if ("off".equalsIgnoreCase(String.valueOf(env.getProperty("RELAY_PUSH_VERIFY")).strip())) {
      LOG.warn("PUSH TOKENS ARE NOT VERIFIED (RELAY_PUSH_VERIFY=off): anyone who reaches this relay can deliver to {}. "
          + "Keep it only behind something that checks every caller (Cloud Run IAM with --no-allow-unauthenticated)",
          settings.target().host());
    } else {
      LOG.warn("PUSH TOKENS ARE NOT VERIFIED: RELAY_PUSH_AUDIENCE is not set. Allowed off Google Cloud only; on "
          + "Google Cloud the relay refuses to start this way unless RELAY_PUSH_VERIFY=off");
    }
    return settings;
  }
}
