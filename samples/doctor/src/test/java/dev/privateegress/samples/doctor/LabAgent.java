package dev.privateegress.samples.doctor;

import dev.privateegress.NotReadyException;
import dev.privateegress.PrivateEgress;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Runs inside the network lab's instance namespace (a thread cannot change namespace, so the SDK runs in this
 * child JVM) and answers requests on stdin, one per line: {@code ID WAY ENV TARGETS}, each field Base64 of UTF-8,
 * ENV as {@code K=V} lines, TARGETS space-separated; WAY is {@code doctor} ({@code egress.doctor(...)} JSON),
 * {@code cli} (the doctor CLI's {@code --json} output and exit status) or {@code await} ({@code awaitReady} with a
 * 2 s timeout, or {@code LAB_AWAIT_SECONDS}). Answers {@code ID MILLIS BASE64(TEXT)}, in any order: requests run concurrently. Exits at EOF.
 */
public final class LabAgent {
  private LabAgent() {}

  public static void main(String[] args) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    out.println("ready");
    for (String line; (line = in.readLine()) != null; ) {
      String[] f = line.split(" ", -1); // an empty target list is an empty last field
      if (f.length < 4) {
        continue;
      }
      String id = f[0];
      String way = text(f[1]);
      Map<String, String> env = new LinkedHashMap<>();
      for (String kv : text(f[2]).split("\n")) {
        if (kv.contains("=")) {
          env.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
      }
      List<String> targets = new ArrayList<>();
      for (String t : text(f[3]).split(" ")) {
        if (!t.isBlank()) {
          targets.add(t);
        }
      }
      pool.execute(() -> {
        long start = System.nanoTime();
        String result = run(way, env, targets);
        long millis = (System.nanoTime() - start) / 1_000_000;
        synchronized (out) {
          out.println(id + " " + millis + " "
              + Base64.getEncoder().encodeToString(result.getBytes(StandardCharsets.UTF_8)));
        }
      });
    }
    pool.shutdown();
  }

  private static String run(String way, Map<String, String> env, List<String> targets) {
    try {
      switch (way) {
        case "doctor" -> {
          return PrivateEgress.builder().environment(env).build().doctor(targets).toJson();
        }
        case "cli" -> {
          ByteArrayOutputStream o = new ByteArrayOutputStream();
          ByteArrayOutputStream e = new ByteArrayOutputStream();
          List<String> a = new ArrayList<>(List.of("--json"));
          a.addAll(targets);
          int exit = DoctorMain.run(a.toArray(String[]::new), env, new PrintStream(o, true, StandardCharsets.UTF_8),
              new PrintStream(e, true, StandardCharsets.UTF_8));
          return "exit " + exit + "\n" + o.toString(StandardCharsets.UTF_8) + e.toString(StandardCharsets.UTF_8);
        }
        case "await" -> {
          // LAB_AWAIT_SECONDS is the test's own knob, not a variable of the SDK (which ignores it)
          long seconds = Long.parseLong(env.getOrDefault("LAB_AWAIT_SECONDS", "2"));
          PrivateEgress.builder().environment(env).build().awaitReady(targets, Duration.ofSeconds(seconds));
          return "ready";
        }
        default -> {
          return "unknown way " + way;
        }
      }
    } catch (NotReadyException e) {
      return e.getMessage();
    } catch (RuntimeException e) {
      return "error " + e;
    }
  }

  private static String text(String b64) {
    return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
  }
}
