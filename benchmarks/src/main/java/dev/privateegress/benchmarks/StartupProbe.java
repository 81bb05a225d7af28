package dev.privateegress.benchmarks;

import dev.privateegress.Platform;
import dev.privateegress.PrivateEgress;

/**
 * Cold-start cost of {@code PrivateEgress.fromEnvironment()} plus {@code platform()}, measured inside a
 * fresh JVM (class loading included), which is what a Cloud Run cold start pays. Run it many times from
 * the shell and take the median (see BENCHMARKS.md):
 *
 * <pre>
 * for i in $(seq 20); do env -i PATH=/usr/bin:/bin java -cp benchmarks/target/benchmarks.jar \
 *     dev.privateegress.benchmarks.StartupProbe; done | sort -n | sed -n 10p
 * </pre>
 */
public final class StartupProbe {
  private StartupProbe() {}

  public static void main(String[] args) {
    long t0 = System.nanoTime();
    PrivateEgress egress = PrivateEgress.fromEnvironment();
    Platform platform = egress.platform();
    long micros = (System.nanoTime() - t0) / 1000;
    System.out.println(micros + " us platform=" + platform);
  }
}
