package server_test

import (
	"context"
	"io"
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

// BenchmarkServiceChain is /service on A through real loopback servers
// A -> B -> C (keep-alive connections), one request at a time (latency)
// and from parallel clients (throughput: ns/op is wall time per request).
func BenchmarkServiceChain(b *testing.B) {
	for _, mode := range tracingModes {
		b.Run(mode.name, func(b *testing.B) {
			start := func(typ, next string) *hop {
				env := map[string]string{"SERVICE_TYPE": typ}
				if next != "" {
					env["NEXT"] = next
				}
				return startHop(b, newConfig(b, env), hopOptions{tracerProvider: benchProvider(b, mode.on)})
			}
			c := start("C", "")
			bb := start("B", c.URL)
			a := start("A", bb.URL)
			client := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 256}}
			url := a.URL + "/service"
			call := func() error {
				resp, err := client.Get(url)
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					return &statusError{resp.StatusCode}
				}
				return nil
			}

			b.Run("sequential", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := call(); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.SetParallelism(8) // 8 x GOMAXPROCS clients
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := call(); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}

type statusError struct{ code int }

func (e *statusError) Error() string { return http.StatusText(e.code) }
