package tracing

import (
	"context"
	"fmt"
	"math/rand/v2"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// Provider is a tracer provider that can be flushed and shut down.
// *sdktrace.TracerProvider implements it.
type Provider interface {
	trace.TracerProvider
	// ForceFlush exports every finished span that is still buffered.
	ForceFlush(ctx context.Context) error
	// Shutdown flushes and releases the exporter.
	Shutdown(ctx context.Context) error
}

// Options configures NewProvider.
type Options struct {
	// ServiceName becomes the service.name resource attribute.
	ServiceName string
	// Attributes are added to the resource.
	Attributes []attribute.KeyValue
	// Exporter receives finished spans. nil gives a propagation-only
	// provider: spans get ids and trace context flows to the next hop, but
	// nothing is recorded or exported.
	Exporter sdktrace.SpanExporter
	// Synchronous exports each span as it ends instead of batching. Only for
	// tests; production batches (the SDK's defaults).
	Synchronous bool
	// Sampler overrides the default, which is ParentBased(AlwaysSample) unless
	// OTEL_TRACES_SAMPLER says otherwise (read by the SDK): the caller's
	// (Envoy's) sampling decision is kept.
	Sampler sdktrace.Sampler
}

// NewProvider builds the tracer provider described by opts.
func NewProvider(opts Options) Provider {
	if opts.Exporter == nil {
		return NewPropagationOnlyProvider()
	}
	attrs := append([]attribute.KeyValue{semconv.ServiceName(opts.ServiceName)}, opts.Attributes...)
	spo := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL, attrs...)),
	}
	if opts.Synchronous {
		spo = append(spo, sdktrace.WithSyncer(opts.Exporter))
	} else {
		spo = append(spo, sdktrace.WithBatcher(opts.Exporter))
	}
	if opts.Sampler != nil {
		spo = append(spo, sdktrace.WithSampler(opts.Sampler))
	}
	return sdktrace.NewTracerProvider(spo...)
}

// NewOTLPExporter returns an OTLP/HTTP (protobuf) exporter posting to
// tracesURL (the full URL, e.g. http://jaeger-collector:4318/v1/traces).
// Other OTEL_EXPORTER_OTLP_* variables (headers, timeout, compression) are
// still honoured by the exporter. No connection is made until spans are
// exported.
func NewOTLPExporter(ctx context.Context, tracesURL string) (sdktrace.SpanExporter, error) {
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(tracesURL))
	if err != nil {
		return nil, fmt.Errorf("create OTLP exporter for %s: %w", tracesURL, err)
	}
	return exp, nil
}

// PropagationOnlyProvider creates spans that carry fresh span ids and the
// caller's trace id, flags and trace state, but record nothing. It is what
// runs when no exporter is configured: cheaper than an SDK provider with no
// processor (which would still record every span), while the next hop (and
// Envoy) still sees a correct parent.
type PropagationOnlyProvider struct {
	embedded.TracerProvider
}

// NewPropagationOnlyProvider returns a PropagationOnlyProvider.
func NewPropagationOnlyProvider() *PropagationOnlyProvider { return &PropagationOnlyProvider{} }

// Tracer implements trace.TracerProvider.
func (p *PropagationOnlyProvider) Tracer(string, ...trace.TracerOption) trace.Tracer {
	return propagationOnlyTracer{}
}

// ForceFlush implements Provider; there is nothing to flush.
func (*PropagationOnlyProvider) ForceFlush(context.Context) error { return nil }

// Shutdown implements Provider; there is nothing to release.
func (*PropagationOnlyProvider) Shutdown(context.Context) error { return nil }

type propagationOnlyTracer struct {
	embedded.Tracer
}

// Start implements trace.Tracer. A new root (no valid parent) is marked
// sampled, like ParentBased(AlwaysSample), so hops that do export record it.
func (propagationOnlyTracer) Start(ctx context.Context, _ string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	parent := trace.SpanContextFromContext(ctx)
	if cfg := trace.NewSpanStartConfig(opts...); cfg.NewRoot() {
		parent = trace.SpanContext{}
	}
	cfg := trace.SpanContextConfig{
		TraceID:    parent.TraceID(),
		SpanID:     newSpanID(),
		TraceFlags: parent.TraceFlags(),
		TraceState: parent.TraceState(),
	}
	if !parent.TraceID().IsValid() {
		cfg.TraceID = newTraceID()
		cfg.TraceFlags = trace.FlagsSampled
	}
	// ContextWithSpanContext stores a non-recording span holding the new
	// span context; SpanFromContext hands that span back.
	ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(cfg))
	return ctx, trace.SpanFromContext(ctx)
}

// Ids need to be unique, not secret: math/rand/v2's per-goroutine ChaCha8
// source is fast and needs no locking.
func newTraceID() trace.TraceID {
	var id trace.TraceID
	for !id.IsValid() {
		putUint64(id[:8], rand.Uint64())
		putUint64(id[8:], rand.Uint64())
	}
	return id
}

func newSpanID() trace.SpanID {
	var id trace.SpanID
	for !id.IsValid() {
		putUint64(id[:], rand.Uint64())
	}
	return id
}

func putUint64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (56 - 8*i))
	}
}
