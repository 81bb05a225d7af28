package dev.privateegress;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records token-fetch events. */
final class RecordingListener implements EgressListener {
  record Fetch(String kind, String audience, Duration took, Throwable failure) {}

  final List<Fetch> fetches = new CopyOnWriteArrayList<>();

  @Override
  public void tokenFetched(String kind, String audience, Duration took, Throwable failure) {
    fetches.add(new Fetch(kind, audience, took, failure));
  }

  long failures() {
    return fetches.stream().filter(f -> f.failure() != null).count();
  }

  long successes() {
    return fetches.stream().filter(f -> f.failure() == null).count();
  }
}
