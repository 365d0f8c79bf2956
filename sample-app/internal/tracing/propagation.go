// Package tracing sets up OpenTelemetry for the sample app: the propagators
// that carry trace context across hops, the tracer provider (exporting over
// OTLP or only propagating), and a slog handler that stamps log records with
// the current trace and span ids.
//
// Nothing here touches OpenTelemetry's global state; callers pass the
// provider and propagator to what needs them.
package tracing

import (
	"go.opentelemetry.io/contrib/propagators/b3"
	"go.opentelemetry.io/otel/propagation"
)

// NewPropagator returns the propagator used on every hop: W3C trace context
// and baggage, plus B3 in both the single ("b3") and multi (x-b3-*) header
// forms. Envoy (Istio) may speak either, depending on its tracer, and
// injecting all of them lets any next hop continue the trace.
//
// On extraction the composite runs in order, so valid B3 headers win over
// W3C ones; in a mesh both carry the same ids.
func NewPropagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{},
		propagation.Baggage{},
		b3.New(b3.WithInjectEncoding(b3.B3SingleHeader|b3.B3MultipleHeader)),
	)
}
