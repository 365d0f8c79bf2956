package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/config"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/hoprpc"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/metrics"
)

// startGRPCHop serves cfg (TRANSPORT=grpc) on two loopback ports, HTTP
// and gRPC, until the test ends.
func startGRPCHop(t testing.TB, cfg config.Config, opts hopOptions) *hop {
	t.Helper()
	opts.grpcListener = listenLoopback(t)
	h := startHop(t, cfg, opts)
	h.GRPCTarget = "passthrough:///" + opts.grpcListener.Addr().String()
	return h
}

// grpcHopEnv is env with TRANSPORT=grpc and, when next is set, NEXT.
func grpcHopEnv(typ, next string, env map[string]string) map[string]string {
	e := map[string]string{"SERVICE_TYPE": typ, "TRANSPORT": "grpc"}
	for k, v := range env {
		e[k] = v
	}
	if next != "" {
		e["NEXT"] = next
	}
	return e
}

// recordedHop is a hop whose spans a SpanRecorder keeps.
type recordedHop struct {
	*hop
	spans *tracetest.SpanRecorder
}

// grpcChain is startChain over plain gRPC, each hop with its own span
// recorder.
func grpcChain(t *testing.T, env map[string]string) (a, b, c recordedHop) {
	t.Helper()
	recorders := map[string]*tracetest.SpanRecorder{}
	ha, hb, hc := startChain(t, "grpc", env, func(cfg config.Config) hopOptions {
		rec := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(
			sdktrace.WithSpanProcessor(rec),
			sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", cfg.ServiceName))),
		)
		t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		recorders[cfg.ServiceType] = rec
		return hopOptions{tracerProvider: tp}
	})
	recorded := func(h *hop, name string) recordedHop { return recordedHop{hop: h, spans: recorders[name]} }
	return recorded(ha, "A"), recorded(hb, "B"), recorded(hc, "C")
}

// waitForEnded polls until rec holds at least n ended spans: a server
// span ends after its response was sent.
func waitForEnded(t testing.TB, rec *tracetest.SpanRecorder, n int) tracetest.SpanStubs {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		spans := tracetest.SpanStubsFromReadOnlySpans(rec.Ended())
		if len(spans) >= n {
			return spans
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d ended spans, want %d: %v", len(spans), n, spanNames(spans))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitForCounter polls until a counter reaches want: gRPC-Go reports an
// RPC's end to stats handlers after it sent the status, so the caller can
// see the answer before the server counted it.
func waitForCounter(t testing.TB, m *metrics.Metrics, name string, labels map[string]string, want float64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := counterValue(t, m, name, labels)
		if got == want {
			return
		}
		if got > want || time.Now().After(deadline) {
			t.Fatalf("%s%v = %v, want %v", name, labels, got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakeHopServer answers Hop/Service with a function: a stand-in for a next
// hop (or for what the mesh makes of it: a denial, an injected fault).
type fakeHopServer func(ctx context.Context) (*wrapperspb.BytesValue, error)

func (f fakeHopServer) Service(ctx context.Context, _ *emptypb.Empty) (*wrapperspb.BytesValue, error) {
	return f(ctx)
}

// fakeGRPCNext serves f on a loopback port and returns its target.
func fakeGRPCNext(t testing.TB, f fakeHopServer, opts ...grpc.ServerOption) string {
	t.Helper()
	ln := listenLoopback(t)
	srv := grpc.NewServer(opts...)
	hoprpc.RegisterHopServer(srv, f)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return "passthrough:///" + ln.Addr().String()
}

// closedGRPCTarget is a loopback target nothing listens on.
func closedGRPCTarget(t testing.TB) string {
	t.Helper()
	ln := listenLoopback(t)
	addr := ln.Addr().String()
	_ = ln.Close()
	return "passthrough:///" + addr
}

// dialHop connects a plain test client to a hop's gRPC server.
func dialHop(t testing.TB, target string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// endpointOf is the host:port of a passthrough target: the next label of
// the downstream error metric.
func endpointOf(target string) string { return strings.TrimPrefix(target, "passthrough:///") }
