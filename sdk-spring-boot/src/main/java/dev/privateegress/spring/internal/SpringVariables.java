package dev.privateegress.spring.internal;

import dev.privateegress.VariableLookup;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * The SDK's configuration variables as Spring's {@link Environment} holds them, so an environment variable, a
 * command-line argument and {@code application.properties} behave alike. For each variable: its {@code
 * private-egress.*} property (relaxed binding), else a Spring property of the variable's own name ({@code
 * REDIS_URL}), else its system-property name ({@code redis.url}). The SDK parses the raw value once, by the
 * variable's rules; an error names the input found here.
 */
public final class SpringVariables implements VariableLookup {
  /**
   * Variable to its {@code private-egress.*} property. Not {@code startup-grace}: that property is a Spring
   * {@code Duration} ({@code 90s} as well as {@code PT90S}), bound by Spring and set on the builder.
   */
  public static final Map<String, String> PROPERTIES = Map.ofEntries(
      Map.entry("PRIVATE_EGRESS_MODE", "private-egress.mode"),
      Map.entry("PRIVATE_EGRESS_SCOPE", "private-egress.scope"),
      Map.entry("PRIVATE_EGRESS_LOOKUP", "private-egress.lookup"),
      Map.entry("PRIVATE_EGRESS_HOSTS", "private-egress.hosts"),
      Map.entry("PRIVATE_EGRESS_AUDIENCES", "private-egress.audiences"),
      Map.entry("PRIVATE_EGRESS_TOKEN_HEADER", "private-egress.token-header"),
      Map.entry("GCE_METADATA_HOST", "private-egress.metadata-host"),
      Map.entry("NO_GCE_CHECK", "private-egress.no-gce-check"),
      Map.entry("PRIVATE_EGRESS_TRACING", "private-egress.tracing"),
      Map.entry("PRIVATE_EGRESS_STATIC_IP", "private-egress.static-ip"),
      Map.entry("PRIVATE_EGRESS_IP_ECHO", "private-egress.ip-echo"),
      Map.entry("REDIS_URL", "private-egress.redis.url"),
      Map.entry("REDISHOST", "private-egress.redis.host"),
      Map.entry("REDISPORT", "private-egress.redis.port"),
      Map.entry("REDIS_AUTH", "private-egress.redis.auth"),
      Map.entry("REDIS_TLS_CA", "private-egress.redis.tls-ca"),
      Map.entry("REDIS_IAM_AUTH", "private-egress.redis.iam-auth"),
      Map.entry("REDIS_CLUSTER", "private-egress.redis.cluster"));

  private static final List<String> LISTS = List.of("PRIVATE_EGRESS_HOSTS", "PRIVATE_EGRESS_AUDIENCES");

  private final Environment env;
  private final Binder binder;

  private SpringVariables(Environment env) {
    this.env = env;
    this.binder = Binder.get(env);
  }

  public static SpringVariables of(Environment env) {
    return new SpringVariables(env);
  }

  @Override
  public Setting find(String variable) {
    String property = PROPERTIES.get(variable);
    if (property != null) {
      String value = LISTS.contains(variable)
          ? binder.bind(property, Bindable.listOf(String.class)).map(l -> String.join(",", l)).orElse(null)
          : binder.bind(property, String.class).orElse(null);
      if (value != null) {
        return new Setting(property + " (same as " + variable + ")", value);
      }
    }
    String value = env.getProperty(variable);
    if (value != null) {
      return new Setting(variable, value);
    }
    String dotted = variable.toLowerCase(Locale.ROOT).replace('_', '.');
    value = env.getProperty(dotted);
    return value == null ? null : new Setting(dotted, value);
  }

  /** The value of {@code variable}, blank counted as unset, or null. */
  public String value(String variable) {
    Setting s = find(variable);
    return s == null || s.value().isBlank() ? null : s.value();
  }
}
