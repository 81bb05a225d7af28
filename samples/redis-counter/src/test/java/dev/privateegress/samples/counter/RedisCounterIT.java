package dev.privateegress.samples.counter;

import dev.privateegress.samples.testing.SampleProcess;
import static org.assertj.core.api.Assertions.assertThat;

import dev.privateegress.testing.RedisLauncher;
import dev.privateegress.testing.RedisNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Runs {@code java -jar redis-counter.jar} as a user would and drives it over HTTP. */
class RedisCounterIT {
  private static final Path JAR = Path.of(System.getProperty("sample.jar", "target/redis-counter.jar"));
  private static final Pattern VISITOR = Pattern.compile("Visitor number: (\\d+)");
  private static final ExecutorService POOL = Executors.newFixedThreadPool(32);
  private final HttpClient client = HttpClient.newBuilder().executor(POOL)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @AfterAll
  static void stopPool() {
    POOL.shutdownNow();
  }

  @Test
  void countsConcurrentVisitorsExactlyAndSurvivesARedisOutage() throws Exception {
    // AOF with fsync always: the counter survives the kill, so a replayed INCR would show as a skipped number.
    try (RedisNode redis = RedisLauncher.builder().appendOnly(true).fsyncAlways(true).start();
         SampleProcess app = SampleProcess.start(JAR, Map.of("REDIS_URL", redis.url()))) {
      HttpResponse<String> hello = get(app.url("/"));
      assertThat(hello.statusCode()).isEqualTo(200);
      assertThat(hello.body()).isEqualTo("{\"Hello\":\"World\"}");
      assertThat(app.output()).doesNotContain("throwaway local redis-server");

      List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
      HttpRequest visit = HttpRequest.newBuilder(URI.create(app.url("/redis"))).timeout(Duration.ofSeconds(30)).build();
      for (int i = 0; i < 200; i++) {
        calls.add(client.sendAsync(visit, HttpResponse.BodyHandlers.ofString()));
      }
      List<Integer> numbers = new ArrayList<>();
      for (CompletableFuture<HttpResponse<String>> c : calls) {
        HttpResponse<String> r = c.get(60, TimeUnit.SECONDS);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        numbers.add(visitor(r.body()));
      }
      assertThat(numbers).as("200 distinct numbers 1..200")
          .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, 200).boxed().toList());
      assertThat(String.valueOf(redis.command("GET", "counter"))).isEqualTo("200");

      redis.kill();
      // A pooled connection that breaks under an INCR cannot tell whether Redis ran it: the sample says so
      // (ambiguous) and the SDK does not re-send. Once the pool holds no live connection, new ones are
      // refused: "Redis unavailable".
      HttpResponse<String> down = null;
      int ambiguous = 0;
      for (int i = 0; i < 50; i++) {
        down = get(app.url("/redis"));
        assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
        assertThat(down.body()).endsWith("\n");
        assertThat(down.body().strip()).doesNotContain("\n").doesNotContain("\tat ").doesNotContain("at redis.clients.");
        assertThat(down.headers().firstValue("Retry-After")).hasValue("1");
        if (down.body().startsWith("Redis unavailable (request id ")) {
          break;
        }
        assertThat(down.body()).startsWith("Redis did not confirm INCR counter: ");
        ambiguous++;
      }
      // The public answer: a short reason and a request id; address, exception and advice in the log under that id.
      assertThat(down.body()).matches("Redis unavailable \\(request id ([0-9a-f]{12})\\)\n")
          .doesNotContain("127.0.0.1", Integer.toString(redis.port()), "Exception");
      String id = down.body().substring(down.body().indexOf("id ") + 3, down.body().indexOf(')'));
      String logged = app.output();
      assertThat(logged).contains("request " + id + ": Redis unavailable");
      assertThat(logged.substring(logged.indexOf("request " + id + ": Redis unavailable")))
          .contains("Exception").contains(":" + redis.port());
      assertThat(ambiguous).as("at most one per pooled connection").isLessThan(50);

      redis.start(); // same port, same data directory; the sample keeps running
      HttpResponse<String> back = awaitOk(app.url("/redis"), Duration.ofSeconds(20));
      assertThat(back.body()).as("no INCR was applied while Redis was down, none twice").isEqualTo("Visitor number: 201");
      assertThat(get(app.url("/actuator/health/readiness")).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void theLocalDemoStartsALocalRedisCountsFromOneAndStopsItOnSigterm() throws Exception {
    SampleProcess app = SampleProcess.startMain(TestRedisCounterApplication.class.getName(), Map.of());
    try {
      Matcher m = Pattern.compile("started a throwaway local redis-server \\S+ \\(pid (\\d+)\\)").matcher(app.output());
      assertThat(m.find()).as(app.output()).isTrue();
      long pid = Long.parseLong(m.group(1));
      Optional<ProcessHandle> server = ProcessHandle.of(pid);
      assertThat(server).as("the redis-server it started").isPresent();
      assertThat(server.get().isAlive()).isTrue();
      assertThat(get(app.url("/redis")).body()).isEqualTo("Visitor number: 1");
      assertThat(get(app.url("/redis")).body()).isEqualTo("Visitor number: 2");
      assertThat(app.output()).contains("Visitor counter ready: curl http://localhost:" + app.port + "/redis");

      app.stop(); // SIGTERM, as Ctrl-C and Cloud Run do
      assertThat(server.get().onExit().get(10, TimeUnit.SECONDS).isAlive()).isFalse();
      assertThat(app.output()).contains("Stopped the local redis-server (pid " + pid + ")");
    } finally {
      app.close();
    }
  }

  @Test
  void theLocalDemosRedisDiesWithAKilledJvm() throws Exception {
    SampleProcess app = SampleProcess.startMain(TestRedisCounterApplication.class.getName(), Map.of());
    try {
      Matcher m = Pattern.compile("started a throwaway local redis-server \\S+ \\(pid (\\d+)\\)").matcher(app.output());
      assertThat(m.find()).as(app.output()).isTrue();
      ProcessHandle server = ProcessHandle.of(Long.parseLong(m.group(1))).orElseThrow();
      assertThat(get(app.url("/redis")).body()).isEqualTo("Visitor number: 1");

      app.process().destroyForcibly(); // SIGKILL: no shutdown hook, no context close
      assertThat(server.onExit().get(20, TimeUnit.SECONDS).isAlive()).as("orphan redis-server").isFalse();
    } finally {
      app.close();
    }
  }

  @Test
  void theProductionJarHoldsNoTestKit() throws Exception {
    try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(JAR.toFile())) {
      List<String> names = jar.stream().map(java.util.zip.ZipEntry::getName).toList();
      assertThat(names).as("the jar").contains("BOOT-INF/classes/dev/privateegress/samples/counter/RedisCounterApplication.class");
      assertThat(names).filteredOn(n -> n.contains("dev/privateegress/testing") || n.contains("embedded-redis")
          || n.contains("private-egress-testing") || n.contains("FakeMetadataServer") || n.contains("LocalRedis")
          || n.contains("TestRedisCounterApplication")).isEmpty();
      for (String lib : names.stream().filter(n -> n.startsWith("BOOT-INF/lib/")).toList()) {
        try (java.util.zip.ZipInputStream in = new java.util.zip.ZipInputStream(jar.getInputStream(jar.getEntry(lib)))) {
          for (java.util.zip.ZipEntry e; (e = in.getNextEntry()) != null; ) {
            assertThat(e.getName()).as(lib).doesNotContain("dev/privateegress/testing").doesNotContain("redis-server");
          }
        }
      }
    }
  }

  private HttpResponse<String> awaitOk(String url, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    HttpResponse<String> r;
    int failures = 0;
    do {
      r = get(url);
      if (r.statusCode() == 200) {
        assertThat(failures).as("503s after the restart").isLessThan(50);
        return r;
      }
      assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
      failures++;
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("still " + r.statusCode() + " " + r.body() + " after " + timeout);
  }

  private HttpResponse<String> get(String url) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int visitor(String body) {
    Matcher m = VISITOR.matcher(body);
    assertThat(m.matches()).as(body).isTrue();
    return Integer.parseInt(m.group(1));
  }
}
