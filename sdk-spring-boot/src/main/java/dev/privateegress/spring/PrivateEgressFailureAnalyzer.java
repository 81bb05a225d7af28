package dev.privateegress.spring;

import dev.privateegress.ConfigurationException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns the SDK's {@link ConfigurationException} into Spring Boot's "APPLICATION FAILED TO START" report: the
 * description names the property (and the variable it stands for), the value unless secret, and what is
 * allowed; the action says where Spring reads it from.
 */
final class PrivateEgressFailureAnalyzer extends AbstractFailureAnalyzer<ConfigurationException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, ConfigurationException cause) {
    return new FailureAnalysis("The Private Egress SDK's configuration is invalid: " + cause.getMessage(),
        "Correct " + cause.input() + " where it is set: application.properties or .yaml, a command-line "
            + "argument (--name=value) or an environment variable. The description lists what is allowed.",
        cause);
  }
}
