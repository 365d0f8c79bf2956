package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/server"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/tracing"
)

// Benchmarks compare tracing "off" (the default without an OTLP endpoint:
// propagation only) with tracing "on" (SDK provider, batching span
// processor as in production, exporting to a no-op exporter so only the
// app's own tracing cost is measured).

var tracingModes = []struct {
	name string
	on   bool
}{{"tracing=off", false}, {"tracing=on", true}}

func benchProvider(b *testing.B, on bool) tracing.Provider {
	b.Helper()
	var tp tracing.Provider = tracing.NewPropagationOnlyProvider()
	if on {
		tp = tracing.NewProvider(tracing.Options{ServiceName: "bench", Exporter: tracetest.NewNoopExporter()})
	}
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

// benchHandler drives a handler in-process (no network) with one request
// repeated.
func benchHandler(b *testing.B, h http.Handler, path string) {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

func BenchmarkRootHandler(b *testing.B) {
	for _, mode := range tracingModes {
		b.Run(mode.name, func(b *testing.B) {
			cfg := newConfig(b, map[string]string{"SERVICE_TYPE": "A"})
			srv := newServer(b, server.Deps{Config: cfg, TracerProvider: benchProvider(b, mode.on)})
			benchHandler(b, srv.Handler(), "/")
		})
	}
}

// BenchmarkServiceLeaf is /service on the last hop (it answers itself).
func BenchmarkServiceLeaf(b *testing.B) {
	for _, mode := range tracingModes {
		b.Run(mode.name, func(b *testing.B) {
			cfg := newConfig(b, map[string]string{"SERVICE_TYPE": "C"})
			srv := newServer(b, server.Deps{Config: cfg, TracerProvider: benchProvider(b, mode.on)})
			benchHandler(b, srv.Handler(), "/service")
		})
	}
}

type statusError struct{ code int }

func (e *statusError) Error() string { return http.StatusText(e.code) }
