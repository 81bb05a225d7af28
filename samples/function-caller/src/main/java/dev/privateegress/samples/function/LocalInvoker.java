package dev.privateegress.samples.function;

import com.google.cloud.functions.invoker.runner.Invoker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code java -jar function-caller.jar}: runs {@link CallerFunction} in the Functions Framework invoker
 * on {@code PORT} (default 8080), as Cloud Run functions does. Further arguments go to the invoker.
 */
public final class LocalInvoker {
  private LocalInvoker() {}

  /**
   * Starts the invoker with this sample's function as the target and blocks until it stops.
   *
   * @param args extra invoker arguments, e.g. {@code --port 9090}
   * @throws Exception when the invoker cannot start
   */
  public static void main(String[] args) throws Exception {
    List<String> all = new ArrayList<>();
    if (!Arrays.asList(args).contains("--target")) {
      // An argument, not FUNCTION_TARGET: that variable would make the SDK detect a Cloud Run function.
      all.add("--target");
      all.add(CallerFunction.class.getName());
    }
    all.addAll(Arrays.asList(args));
    Invoker.main(all.toArray(new String[0]));
  }
}
