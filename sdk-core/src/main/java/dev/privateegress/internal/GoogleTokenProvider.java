package dev.privateegress.internal;

import com.google.auth.Retryable;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.privateegress.EgressListener;
import dev.privateegress.RetryBudget;
import dev.privateegress.RetryPolicy;
import dev.privateegress.Token;
import dev.privateegress.TokenException;
import dev.privateegress.TokenOptions;
import dev.privateegress.TokenProvider;
import dev.privateegress.internal.MetadataClient.MetadataException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SDK's token provider: picks a source once (explicit credentials, {@code GOOGLE_APPLICATION_CREDENTIALS},
 * the metadata server, gcloud's application-default file), caches tokens per audience in a {@link
 * TokenCache} on the instance's clock, and fetches with bounded retries inside a deadline. Constructing
 * it does no I/O; the source is chosen on the first token request. {@link #describe} tells the doctor where
 * tokens would come from without minting any.
 */
public final class GoogleTokenProvider implements TokenProvider {
  private static final Logger log = LoggerFactory.getLogger(GoogleTokenProvider.class);
  private static final String ACCESS_KEY = "access token";
  static final String ADC_FILE = "application_default_credentials.json";
  static final String EXPLICIT_ORIGIN = "PrivateEgress.builder().credentials(...)";

  private final EgressRuntime egress;
  private final MetadataClient metadata;
  private final GoogleCredentials credentials;
  private final TokenOptions options;
  private final RetryPolicy backoff;
  private final TokenCache ids;
  private final TokenCache access;
  private volatile TokenSource source;

  /**
   * @param egress the runtime whose environment, platform, clock, listener and metadata server the tokens use
   * @param credentials what to mint with instead of the environment's choice, or null
   */
  public GoogleTokenProvider(EgressRuntime egress, GoogleCredentials credentials, TokenOptions options) {
    this.egress = Objects.requireNonNull(egress, "egress");
    this.metadata = egress.metadataClient();
    this.credentials = credentials;
    this.options = Objects.requireNonNull(options, "options");
    this.backoff = new RetryPolicy(options.maxAttempts(), options.initialBackoff(), options.maxBackoff(),
        options.deadline(), options.maxAttempts());
    TokenCache.Fetcher id = this::fetchIdToken;
    TokenCache.Fetcher at = (key, attempts) -> fetchAccessToken(attempts);
    Object registry = egress.config().traces("tokens") ? egress.observationRegistry() : null;
    this.ids = new TokenCache(egress.clock(), options, "ID token for ",
        registry == null ? id : TokenTracing.traced(registry, TokenTracing.ID, id));
    this.access = new TokenCache(egress.clock(), options, "",
        registry == null ? at : TokenTracing.traced(registry, TokenTracing.ACCESS, at));
  }

  @Override
  public Token idToken(String audience) {
    return ids.get(requireAudience(audience));
  }

  @Override
  public Token accessToken() {
    return access.get(ACCESS_KEY);
  }

  @Override
  public Token refreshIdToken(String audience, Token rejected) {
    String a = requireAudience(audience);
    if (rejected == null) {
      return idToken(a);
    }
    return ids.invalidate(a, rejected);
  }

  @Override
  public Token refreshAccessToken(Token rejected) {
    if (rejected == null) {
      return accessToken();
    }
    return access.invalidate(ACCESS_KEY, rejected);
  }

  /** Which credentials a source is built from; {@link #file} is set for key files only. */
  enum Kind { EXPLICIT, FILE, METADATA }

  /**
   * The chosen credentials: what {@link #resolve} builds its source from.
   *
   * @param origin where they were found, e.g. {@code GOOGLE_APPLICATION_CREDENTIALS=/k.json}
   */
  record Choice(Kind kind, Path file, String origin) {}

  /**
   * The credentials tokens come from, chosen exactly as the first token request chooses them; no token is
   * minted and no file is parsed.
   *
   * @throws TokenException when there are none, with the message a token request would give
   */
  Choice choice() {
    if (credentials != null) {
      return new Choice(Kind.EXPLICIT, null, EXPLICIT_ORIGIN);
    }
    Map<String, String> env = egress.environment();
    String gac = env.get("GOOGLE_APPLICATION_CREDENTIALS");
    if (gac != null && !gac.isBlank()) {
      return new Choice(Kind.FILE, Path.of(gac.strip()), "GOOGLE_APPLICATION_CREDENTIALS=" + gac.strip());
    }
    if (egress.config().metadataHost().isPresent() || egress.platform().onGoogleCloud()) {
      return new Choice(Kind.METADATA, null, "the metadata server at " + metadata.host());
    }
    Path adc = gcloudAdcFile(env);
    if (adc != null && Files.isRegularFile(adc)) {
      return new Choice(Kind.FILE, adc, "gcloud application-default credentials " + adc);
    }
    throw new TokenException("no Google credentials found: not running on Google Cloud (platform "
        + egress.platform().id() + "), GCE_METADATA_HOST and GOOGLE_APPLICATION_CREDENTIALS are not set, and "
        + "there is no gcloud application-default credentials file" + (adc == null ? "" : " at " + adc)
        + ". For local development run 'gcloud auth application-default login "
        + "--impersonate-service-account=SA_EMAIL', or set GOOGLE_APPLICATION_CREDENTIALS to a service-account "
        + "key file, or pass credentials to PrivateEgress.builder().credentials(...); in tests point "
        + "GCE_METADATA_HOST at a FakeMetadataServer.");
  }

  private static String requireAudience(String audience) {
    if (audience == null || audience.isBlank()) {
      throw new IllegalArgumentException("audience must be a non-blank string, e.g. https://my-service-abc-uc.a.run.app");
    }
    // strip() returns the same instance when there is nothing to strip: no allocation on the hot path.
    return audience.strip();
  }

  private Token fetchIdToken(String audience, int attempts) {
    boolean full = options.fullFormat(audience);
    return fetch("id", audience, attempts, (src, budget) -> src.idToken(audience, full, budget));
  }

  private Token fetchAccessToken(int attempts) {
    return fetch("access", "", attempts, (src, budget) -> src.accessToken(budget));
  }

  private interface Call {
    Token run(TokenSource source, Duration budget) throws IOException;
  }

  private Token fetch(String kind, String audience, int attempts, Call call) {
    Fetch f = new Fetch(kind, audience, call, attempts);
    TokenSource src;
    try {
      src = source();
    } catch (RuntimeException e) {
      report(kind, audience, f.start, e);
      throw e;
    }
    f.source = src;
    // The token's own limits (attempts, backoff, deadline); no budget: a fetch is one per token lifetime. The
    // listener hears of the fetch once, with its outcome (tokenFetched), not of each retry: retry events name the
    // targets the application calls.
    RetryLoop loop = new RetryLoop(backoff.withMaxAttempts(attempts), target -> UNLIMITED, () -> false,
        EgressListener.NONE, null);
    try {
      return loop.run(fetchStep, f, f.deadline, null);
    } catch (IOException e) {
      throw new IllegalStateException(e); // finish() turns every failure into a TokenException
    }
  }

  private static final RetryBudget UNLIMITED = RetryBudget.unlimited();

  /** One fetch: its kind, its source, when it began. */
  private final class Fetch {
    final String kind;
    final String audience;
    final Call call;
    final int allowed;
    final long start = System.nanoTime();
    final long deadline = start + options.deadline().toNanos();
    TokenSource source;
    int made;

    Fetch(String kind, String audience, Call call, int allowed) {
      this.kind = kind;
      this.audience = audience;
      this.call = call;
      this.allowed = allowed;
    }

    String what() {
      return kind.equals("id") ? "an ID token for audience " + audience : "an access token";
    }
  }

  /** A token fetch on the SDK's retry loop: 5xx, 429, timeouts and refused connections are tried again. */
  private final RetryLoop.Step<Fetch, Token, IOException> fetchStep = new RetryLoop.Step<>() {
    @Override
    public Token attempt(Fetch f, int n) throws IOException {
      f.made = n;
      try {
        return f.call.run(f.source, Duration.ofNanos(f.deadline - System.nanoTime()));
      } catch (TokenException e) {
        report(f.kind, f.audience, f.start, e);
        throw e;
      }
    }

    @Override
    public boolean catchesUnchecked() {
      return false;
    }

    @Override
    public RetryLoop.Kind judge(Fetch f, Token token, IOException failure, int n) {
      return failure != null && retryable(failure) ? RetryLoop.Kind.RETRY : RetryLoop.Kind.FINAL;
    }

    @Override
    public String target(Fetch f) {
      return f.source.description();
    }

    @Override
    public String cause(Fetch f, Token token, IOException failure) {
      return String.valueOf(failure.getMessage());
    }

    @Override
    public void beforeRetry(Fetch f, Token token, IOException failure, long delayNanos) {
      log.debug("fetching {} failed, retrying in {} ms: {}", f.what(), TimeUnit.NANOSECONDS.toMillis(delayNanos),
          failure.getMessage());
      if (!RetryLoop.sleep(delayNanos)) {
        throw failed(f, failure);
      }
    }

    @Override
    public Token finish(Fetch f, Token token, IOException failure, RetryLoop.Decision d, int attempts) {
      if (failure == null) {
        log.debug("fetched {} from {} in {} ms (attempt {}), expires at {}", f.what(), f.source.description(),
            Util.millisSince(f.start), attempts, token.expiresAt());
        report(f.kind, f.audience, f.start, null);
        return token;
      }
      throw failed(f, failure);
    }
  };

  private TokenException failed(Fetch f, IOException last) {
    int attempts = f.made;
    TokenException failure = new TokenException("cannot get " + f.what() + " from " + f.source.description()
        + ": failed after " + attempts + (attempts == 1 ? " attempt" : " attempts") + " in "
        + Util.millisSince(f.start) + " ms" + (f.allowed > 1 && !retryable(last) ? " (not retryable)" : "") + ": "
        + last.getMessage(), last);
    report(f.kind, f.audience, f.start, failure);
    return failure;
  }

  private void report(String kind, String audience, long startNanos, Throwable failure) {
    // The listener is wrapped (SafeListener): its exceptions never reach this code.
    egress.listener().tokenFetched(kind, audience, Duration.ofNanos(System.nanoTime() - startNanos), failure);
  }

  /** 5xx, 429, timeouts and refused connections are worth another attempt; 4xx and bad answers are not. */
  static boolean retryable(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof MetadataException me) {
        return me.retryable();
      }
      if (c instanceof Retryable r) {
        return r.isRetryable();
      }
      if (c instanceof SocketTimeoutException || c instanceof ConnectException
          || c instanceof NoRouteToHostException) {
        return true;
      }
    }
    return false;
  }

  private TokenSource source() {
    TokenSource s = source;
    if (s == null) {
      synchronized (this) {
        s = source;
        if (s == null) {
          s = resolve();
          log.debug("tokens come from {}", s.description());
          source = s;
        }
      }
    }
    return s;
  }

  /**
   * The SDK's order: explicit credentials, {@code GOOGLE_APPLICATION_CREDENTIALS}, the metadata server (on
   * Google Cloud, or wherever {@code GCE_METADATA_HOST} points), gcloud's application-default credentials file
   * ({@link #choice()}). google-auth's application-default order reads gcloud's file before the metadata server;
   * here a metadata server the environment names wins, so that a fake one (tests, local runs) is used even on a
   * machine with gcloud credentials. Reads only the injected environment.
   */
  private TokenSource resolve() {
    Choice c = choice();
    return switch (c.kind()) {
      case EXPLICIT -> new TokenSource.Credentials(credentials, c.origin(), egress.clock());
      case METADATA -> new TokenSource.Metadata(metadata, egress.clock());
      case FILE -> fromFile(c.file(), c.origin());
    };
  }

  /** gcloud's application-default credentials file, from the injected environment only. */
  static Path gcloudAdcFile(Map<String, String> env) {
    String config = env.get("CLOUDSDK_CONFIG");
    if (config != null && !config.isBlank()) {
      return Path.of(config.strip(), ADC_FILE);
    }
    String appData = env.get("APPDATA");
    if (appData != null && !appData.isBlank()) {
      return Path.of(appData.strip(), "gcloud", ADC_FILE);
    }
    String home = env.get("HOME");
    if (home != null && !home.isBlank()) {
      return Path.of(home.strip(), ".config", "gcloud", ADC_FILE);
    }
    return null;
  }

  private TokenSource fromFile(Path file, String origin) {
    GoogleCredentials c;
    try (InputStream in = Files.newInputStream(file)) {
      c = GoogleCredentials.fromStream(in);
    } catch (NoSuchFileException e) {
      throw new TokenException(origin + ": file not found. Point it at an existing service-account key or "
          + "impersonated_service_account JSON file, or unset it and run 'gcloud auth application-default "
          + "login --impersonate-service-account=SA_EMAIL'.", e);
    } catch (IOException | RuntimeException e) {
      throw new TokenException(origin + ": not a usable credentials file (" + e.getMessage() + "). Expected "
          + "JSON of type service_account, impersonated_service_account or authorized_user.", e);
    }
    return new TokenSource.Credentials(c, origin, egress.clock());
  }

  @Override
  public String toString() {
    TokenSource s = source;
    return "GoogleTokenProvider{" + (s == null ? "source not resolved yet" : s.description()) + "}";
  }

  /**
   * Says which credentials tokens come from, without minting anything: a custom {@link TokenProvider}, else the
   * source {@link #choice()} picks, so the doctor names exactly where tokens would come from. Key files are read
   * only for their {@code type} and account e-mail; no secret is ever shown.
   *
   * @return one line, e.g. {@code metadata server (runtime@p.iam.gserviceaccount.com)}
   */
  public static String describe(EgressRuntime egress) {
    TokenProvider provider;
    try {
      provider = egress.tokens();
    } catch (RuntimeException e) {
      return "cannot set up credentials: " + e.getMessage();
    }
    if (!(provider instanceof GoogleTokenProvider google)) {
      return "custom TokenProvider (" + provider.getClass().getName() + ")";
    }
    Choice choice;
    try {
      choice = google.choice();
    } catch (TokenException e) {
      return "none: " + e.getMessage();
    }
    return switch (choice.kind()) {
      case EXPLICIT -> TokenSource.Credentials.who(google.credentials) + " (" + EXPLICIT_ORIGIN + ")";
      case FILE -> describeFile(choice.file(), choice.origin());
      case METADATA -> "metadata server" + egress.serviceAccountEmail().map(e -> " (" + e + ")").orElse(
          " (service account e-mail unavailable)");
    };
  }

  public static String describeFile(Path path, String origin) {
    JsonObject json;
    try {
      JsonElement e = JsonParser.parseString(Files.readString(path, StandardCharsets.UTF_8));
      if (!e.isJsonObject()) {
        return origin + ": not a credentials JSON file";
      }
      json = e.getAsJsonObject();
    } catch (IOException e) {
      return origin + ": cannot read the file (" + e.getClass().getSimpleName() + ")";
    } catch (JsonParseException e) {
      return origin + ": not a credentials JSON file";
    }
    String type = Util.jsonString(json, "type");
    return switch (type) {
      case "service_account" -> "service-account key " + Util.jsonString(json, "client_email") + " (" + origin + ")";
      case "impersonated_service_account" -> "impersonated " + impersonationTarget(json) + " via "
          + Util.jsonObject(json, "source_credentials").map(s -> Util.jsonString(s, "type")).orElse("?")
          + " credentials (" + origin + ")";
      case "authorized_user" -> "user credentials (" + origin + "): access tokens only; ID tokens for an "
          + "audience need impersonation (gcloud auth application-default login "
          + "--impersonate-service-account=SA_EMAIL)";
      case "external_account" -> "workload identity federation (" + origin + ")";
      default -> origin + ": credentials type '" + type + "'";
    };
  }

  private static String impersonationTarget(JsonObject json) {
    String url = Util.jsonString(json, "service_account_impersonation_url");
    int at = url.lastIndexOf("/serviceAccounts/");
    if (at < 0) {
      return "service account";
    }
    String rest = url.substring(at + "/serviceAccounts/".length());
    int colon = rest.indexOf(':');
    return colon < 0 ? rest : rest.substring(0, colon);
  }
}
