package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/config"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/metrics"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/server"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/tracing"
)

// newConfig parses env through config.FromEnv, as main does, with test
// defaults: loopback and no drain delay.
func newConfig(t testing.TB, env map[string]string) config.Config {
	t.Helper()
	full := map[string]string{"LISTEN_HOST": "127.0.0.1", "DRAIN_DELAY": "0s", "SHUTDOWN_TIMEOUT": "5s"}
	for k, v := range env {
		full[k] = v
	}
	cfg, err := config.FromEnv(config.MapLookup(full))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// hop is a server running on an ephemeral loopback port.
type hop struct {
	URL string
	// GRPCTarget is the hop's gRPC server as a NEXT target (TRANSPORT=grpc).
	GRPCTarget string
	Server     *server.Server
	Metrics    *metrics.Metrics
	Exporter   *tracetest.InMemoryExporter // nil when tracing is propagation-only
	stop       context.CancelFunc
	done       chan error
}

// hopOptions tune startHop.
type hopOptions struct {
	// exporter, when set, records this hop's spans synchronously.
	exporter *tracetest.InMemoryExporter
	// tracerProvider overrides the provider (benchmarks, span recorders).
	tracerProvider tracing.Provider
	// grpcListener serves the Hop service; required with TRANSPORT=grpc.
	grpcListener net.Listener
	// grpcCredentials secure its gRPC server and its call to the next hop.
	grpcCredentials *server.GRPCCredentials
}

// listenLoopback binds an ephemeral port on 127.0.0.1 only.
func listenLoopback(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// newServer is server.New for tests: a wiring error fails the test.
func newServer(t testing.TB, d server.Deps) *server.Server {
	t.Helper()
	srv, err := server.New(d)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	return srv
}

// startHop serves cfg on 127.0.0.1 until the test ends.
func startHop(t testing.TB, cfg config.Config, opts hopOptions) *hop {
	t.Helper()
	return startHopOn(t, listenLoopback(t), cfg, opts)
}

func startHopOn(t testing.TB, ln net.Listener, cfg config.Config, opts hopOptions) *hop {
	t.Helper()
	h := &hop{URL: "http://" + ln.Addr().String(), Metrics: metrics.New(cfg.ServiceType), Exporter: opts.exporter, done: make(chan error, 1)}
	tp := opts.tracerProvider
	if tp == nil && opts.exporter != nil {
		tp = tracing.NewProvider(tracing.Options{ServiceName: cfg.ServiceName, Exporter: opts.exporter, Synchronous: true})
	}
	deps := server.Deps{Config: cfg, Metrics: h.Metrics, GRPCCredentials: opts.grpcCredentials}
	if tp != nil {
		deps.TracerProvider = tp
	}
	h.Server = newServer(t, deps)
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	go func() { h.done <- h.Server.Serve(ctx, server.Listeners{HTTP: ln, GRPC: opts.grpcListener}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-h.done:
			if err != nil {
				t.Errorf("hop %s: Serve: %v", cfg.ServiceType, err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("hop %s did not stop", cfg.ServiceType)
		}
	})
	return h
}

// startChain starts C, B, A (in that order, so each knows the next
// hop's address) calling each other over transport ("http" or "grpc"),
// each hop with env and the options opts gives it, and returns them as
// A, B, C.
func startChain(t testing.TB, transport string, env map[string]string, opts func(config.Config) hopOptions) (a, b, c *hop) {
	t.Helper()
	return startChainTo(t, transport, "", env, opts)
}

// startChainTo is startChain with C calling last (a URL over HTTP, a
// target over gRPC) instead of ending the chain: a stand-in that records
// what reaches it.
func startChainTo(t testing.TB, transport, last string, env map[string]string, opts func(config.Config) hopOptions) (a, b, c *hop) {
	t.Helper()
	start := func(typ, next string) *hop {
		if transport == "grpc" {
			cfg := newConfig(t, grpcHopEnv(typ, next, env))
			return startGRPCHop(t, cfg, opts(cfg))
		}
		e := map[string]string{"SERVICE_TYPE": typ}
		for k, v := range env {
			e[k] = v
		}
		if next != "" {
			e["NEXT"] = next
		}
		cfg := newConfig(t, e)
		return startHop(t, cfg, opts(cfg))
	}
	nextOf := func(h *hop) string {
		if transport == "grpc" {
			return h.GRPCTarget
		}
		return h.URL
	}
	c = start("C", last)
	b = start("B", nextOf(c))
	a = start("A", nextOf(b))
	return a, b, c
}

// chain is startChain over HTTP, each hop exporting its spans to its own
// in-memory exporter when traced.
func chain(t testing.TB, traced bool, env map[string]string) (a, b, c *hop) {
	t.Helper()
	return startChain(t, "http", env, func(config.Config) hopOptions {
		var opts hopOptions
		if traced {
			opts.exporter = tracetest.NewInMemoryExporter()
		}
		return opts
	})
}

// waitForSpans polls until exp holds at least n spans: a server span ends
// in the handler's deferred call, which can run just after the client got
// the response.
func waitForSpans(t testing.TB, exp *tracetest.InMemoryExporter, n int) tracetest.SpanStubs {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		spans := exp.GetSpans()
		if len(spans) >= n {
			return spans
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d spans, want %d: %v", len(spans), n, spanNames(spans))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func spanNames(spans tracetest.SpanStubs) []string {
	var names []string
	for _, s := range spans {
		names = append(names, s.Name)
	}
	return names
}

// findSpan returns the only span of the given kind and name.
func findSpan(t testing.TB, spans tracetest.SpanStubs, kind trace.SpanKind, name string) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	for _, s := range spans {
		if s.SpanKind == kind && s.Name == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d spans of kind %s named %q among %v", len(found), kind, name, spanNames(spans))
	}
	return found[0]
}

func attr(s tracetest.SpanStub, key string) (string, bool) {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value.String(), true
		}
	}
	return "", false
}

// counterValue reads a counter from a registry by name and labels; 0 when
// the series does not exist.
func counterValue(t testing.TB, m *metrics.Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, metric := range f.GetMetric() {
			if labelsMatch(metric.GetLabel(), labels) {
				return metric.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func labelsMatch(pairs []*dto.LabelPair, want map[string]string) bool {
	matched := 0
	for _, p := range pairs {
		if v, ok := want[p.GetName()]; ok {
			if v != p.GetValue() {
				return false
			}
			matched++
		}
	}
	return matched == len(want)
}

// get performs a GET with optional headers and returns status, body and
// response headers.
// readinessDuringDrain polls url (a /readyz) once Serve's context is
// cancelled, until it answers 503, and returns that answer. Serve turns
// readiness off in its own goroutine when it sees the cancel, while the
// drain delay keeps the listener open: a 200 may still come first, a
// refused connection means the listener closed before readiness said 503.
func readinessDuringDrain(t testing.TB, client *http.Client, url string) *http.Response {
	t.Helper()
	for {
		resp, err := client.Get(url)
		if err != nil {
			t.Fatalf("GET %s during drain: %v (the listener closed before readiness turned 503)", url, err)
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusServiceUnavailable:
			return resp
		case http.StatusOK:
			time.Sleep(5 * time.Millisecond)
		default:
			t.Fatalf("GET %s during drain: %d, want 503", url, resp.StatusCode)
		}
	}
}

func get(t testing.TB, client *http.Client, url string, headers map[string]string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp.StatusCode, body, resp.Header
}

// newTestClient returns a client that only reaches loopback test servers.
func newTestClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64},
		Timeout:   15 * time.Second,
	}
}
