package dev.privateegress.samples.doctor;

import dev.privateegress.ConfigurationException;
import dev.privateegress.DoctorReport;
import dev.privateegress.PrivateEgress;
import dev.privateegress.RedisSettings;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The doctor CLI: checks the way from this runtime to private endpoints and explains what is wrong.
 *
 * <pre>
 * java -jar samples/doctor/target/doctor.jar [--json] [--verbose] [TARGET...]
 * </pre>
 *
 * <p>Exit status 0 when every check passed, 1 when one failed, 2 for bad arguments or a bad
 * configuration variable (the message on stderr names it). The report goes to stdout; logs go to stderr.
 */
public final class DoctorMain {
  static final String USAGE = """
      usage: java -jar doctor.jar [--json] [--verbose] [TARGET...]

      Checks the way from this runtime to private endpoints and explains each failure:
      platform, credentials, egress (mode, scope and the evidence), then per target
      DNS (private or public), TCP, TLS, token, and Redis PING / HTTP HEAD when available.

      TARGET  http(s)://host[:port][/path], redis(s)://host[:port] or tcp://host:port.
              With no TARGET, the Redis target of REDIS_URL or REDISHOST is checked when set.

        --json      print exactly one JSON object:
                    {"platform","project","region","credentials","egress":{"mode","scope","source",
                    "evidence"},"checks":[{"target","check","ok","millis","detail","advice"}]}
        --verbose   debug logging on stderr
        -h, --help  print this text

      Exit status: 0 every check passed, 1 a check failed, 2 bad arguments or configuration.
      Configuration: PRIVATE_EGRESS_MODE, _SCOPE, _LOOKUP, _HOSTS, _AUDIENCES, _TOKEN_HEADER,
      REDIS_URL, REDISHOST, REDISPORT, REDIS_AUTH, REDIS_TLS_CA, REDIS_IAM_AUTH, REDIS_CLUSTER,
      GCE_METADATA_HOST, NO_GCE_CHECK (or the same names as -D system properties, lower case with dots).
      """;

  private DoctorMain() {}

  public static void main(String[] args) {
    for (String a : args) {
      if (a.equals("--")) {
        break;
      }
      if (a.equals("--verbose")) {
        // Read by slf4j-simple when the first logger is created, which has not happened yet.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "debug");
      }
    }
    System.exit(run(args, PrivateEgress::fromEnvironment, System.out, System.err));
  }

  /**
   * Runs the doctor with {@code env} as the whole environment (no system properties), for tests and
   * embedding.
   *
   * @return the exit status
   */
  public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    return run(args, () -> PrivateEgress.builder().environment(env).build(), out, err);
  }

  static int run(String[] args, Supplier<PrivateEgress> egressFactory, PrintStream out, PrintStream err) {
    boolean json = false;
    List<String> targets = new ArrayList<>();
    boolean options = true;
    for (String a : args) {
      if (options && a.equals("--")) {
        options = false;
      } else if (options && (a.equals("-h") || a.equals("--help"))) {
        out.print(USAGE);
        return 0;
      } else if (options && a.equals("--json")) {
        json = true;
      } else if (options && a.equals("--verbose")) {
        continue; // applied in main() before logging starts
      } else if (options && a.startsWith("-")) {
        err.println("doctor: unknown option " + a);
        err.print(USAGE);
        return 2;
      } else {
        targets.add(a);
      }
    }
    PrivateEgress egress;
    try {
      egress = egressFactory.get();
    } catch (ConfigurationException e) {
      err.println("doctor: " + e.getMessage());
      return 2;
    }
    if (targets.isEmpty()) {
      defaultRedisTarget(egress).ifPresent(targets::add);
    }
    DoctorReport report;
    try {
      report = egress.doctor(targets);
    } catch (ConfigurationException e) {
      err.println("doctor: " + e.getMessage());
      return 2;
    }
    out.println(json ? report.toJson() : report.toText());
    out.flush();
    return report.ok() ? 0 : 1;
  }

  /** {@code redis(s)://host:port} of the configured Redis, without credentials (the checker reads those). */
  static Optional<String> defaultRedisTarget(PrivateEgress egress) {
    return egress.config().redis().map((RedisSettings r) -> (r.tls() ? "rediss://" : "redis://") + r.address());
  }
}
