package dev.privateegress.samples.relay;

import dev.privateegress.PrivateEgress;
import dev.privateegress.http.PrivateHttp;
import okhttp3.OkHttpClient;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/** The SDK configuration, its OkHttp client and the relay's settings. */
@Configuration(proxyBeanMethods = false)
class SdkBeans {

  @Bean
  PrivateEgress privateEgress() {
    return PrivateEgress.builder().environment(System.getenv()).systemProperties(System.getProperties()).build();
  }

  @Bean
  OkHttpClient okHttpClient(PrivateEgress egress) {
    return PrivateHttp.newClient(egress);
  }

  @Bean
  RelaySettings relaySettings(Environment env) {
    return RelaySettings.from(env::getProperty);
  }
}
