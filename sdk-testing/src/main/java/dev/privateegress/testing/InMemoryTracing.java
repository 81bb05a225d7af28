package dev.privateegress.testing;

import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelBaggageManager;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.Map;

/**
 * An {@link ObservationRegistry} wired as Spring Boot wires it with {@code spring-boot-starter-opentelemetry}
 * (Micrometer Tracing's OpenTelemetry bridge, W3C propagation), exporting finished spans to memory. Needs
 * {@code micrometer-tracing-bridge-otel} and {@code opentelemetry-sdk-testing} on the test class path.
 */
public final class InMemoryTracing implements AutoCloseable {
  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private final SdkTracerProvider provider = SdkTracerProvider.builder()
      .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
  private final ObservationRegistry registry = ObservationRegistry.create();
  private final OtelTracer tracer;

  public InMemoryTracing() {
    io.opentelemetry.api.trace.Tracer otel = provider.get("private-egress-test");
    OtelCurrentTraceContext current = new OtelCurrentTraceContext();
    tracer = new OtelTracer(otel, current, event -> { }, new OtelBaggageManager(current, List.of(), List.of()));
    OtelPropagator propagator = new OtelPropagator(
        ContextPropagators.create(W3CTraceContextPropagator.getInstance()), otel);
    registry.observationConfig().observationHandler(new ObservationHandler.FirstMatchingCompositeObservationHandler(
        new PropagatingSenderTracingObservationHandler<>(tracer, propagator),
        new PropagatingReceiverTracingObservationHandler<>(tracer, propagator),
        new DefaultTracingObservationHandler(tracer)));
  }

  public ObservationRegistry registry() {
    return registry;
  }

  public Tracer tracer() {
    return tracer;
  }

  /** The finished spans, in the order they ended. */
  public List<SpanData> spans() {
    return exporter.getFinishedSpanItems();
  }

  /** The spans named {@code name}, in the order they ended. */
  public List<SpanData> spans(String name) {
    return spans().stream().filter(s -> s.getName().equals(name)).toList();
  }

  /** Every attribute of every finished span, {@code key=value}, for searching. */
  public List<String> allAttributes() {
    return spans().stream().flatMap(s -> s.getAttributes().asMap().entrySet().stream()
        .map((Map.Entry<AttributeKey<?>, Object> e) -> s.getName() + ": " + e.getKey().getKey() + "=" + e.getValue()))
        .toList();
  }

  public void reset() {
    exporter.reset();
  }

  @Override
  public void close() {
    provider.close();
  }
}
