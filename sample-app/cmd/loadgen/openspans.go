package main

import (
	"context"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// openSpans counts the recorded spans of the chain that have started and
// not yet ended. A run's spans are counted only once none is open: a hop
// can end its server span after its caller already has the answer (gRPC's
// stats handler ends it once the trailers are out), and that span would
// otherwise count towards the next run.
type openSpans struct{ n atomic.Int64 }

// Registered after the batching processor: by the time OnEnd here runs,
// the span is in the batcher's queue, which a ForceFlush then exports.
func (o *openSpans) OnStart(context.Context, sdktrace.ReadWriteSpan) { o.n.Add(1) }
func (o *openSpans) OnEnd(sdktrace.ReadOnlySpan)                     { o.n.Add(-1) }
func (o *openSpans) Shutdown(context.Context) error                  { return nil }
func (o *openSpans) ForceFlush(context.Context) error                { return nil }

// wait returns once no span is open, or after limit: a span that never
// ends then shows as one missing from the count.
func (o *openSpans) wait(limit time.Duration) {
	deadline := time.Now().Add(limit)
	for o.n.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}
