package server_test

import (
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// hopMethodSpan is the name otelgrpc gives the spans of a Hop/Service call.
const hopMethodSpan = "playk8s.sample.v1.Hop/Service"

// grpcChainSpans are the spans one request leaves on the three hops when
// they call each other over gRPC: each call has a client span (there is no
// sidecar to record it) and a server span on the callee.
type grpcChainSpans struct {
	aServer, aClient tracetest.SpanStub
	bServer, bClient tracetest.SpanStub
	cServer, cBuild  tracetest.SpanStub
}

// collectGRPCChainSpans waits for each hop's two spans; a hop recording
// more fails here.
func collectGRPCChainSpans(t *testing.T, a, b, c recordedHop) grpcChainSpans {
	t.Helper()
	as, bs, cs := waitForEnded(t, a.spans, 2), waitForEnded(t, b.spans, 2), waitForEnded(t, c.spans, 2)
	for name, spans := range map[string]tracetest.SpanStubs{"A": as, "B": bs, "C": cs} {
		if len(spans) != 2 {
			t.Fatalf("%s recorded %d spans, want 2: %v", name, len(spans), spanNames(spans))
		}
	}
	return grpcChainSpans{
		aServer: findSpan(t, as, trace.SpanKindServer, "GET /service"),
		aClient: findSpan(t, as, trace.SpanKindClient, hopMethodSpan),
		bServer: findSpan(t, bs, trace.SpanKindServer, hopMethodSpan),
		bClient: findSpan(t, bs, trace.SpanKindClient, hopMethodSpan),
		cServer: findSpan(t, cs, trace.SpanKindServer, hopMethodSpan),
		cBuild:  findSpan(t, cs, trace.SpanKindInternal, "build-response"),
	}
}

// TestGRPCChainReturnsLastHopsAnswer: A's HTTP /service calls B over gRPC,
// B calls C; A answers C's JSON, every span is in one trace with the right
// parents, and x-request-id reaches C.
func TestGRPCChainReturnsLastHopsAnswer(t *testing.T) {
	a, b, c := grpcChain(t, map[string]string{"SERVICE_C_SERVICE_HOST": "192.0.2.30", "SERVICE_C_SERVICE_PORT": "8001"})
	client := newTestClient()

	status, body, hdr := get(t, client, a.URL+"/service", map[string]string{"X-Request-Id": "req-grpc-1", "X-User-Id": "u-7"})
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	const want = `{"SERVICE_TYPE":"C","SERVICE_HOST":"192.0.2.30","SERVICE_PORT":"8001","DNS_NAME":"service-c.default.svc.cluster.local"}`
	if string(body) != want {
		t.Errorf("A answered %s\nwant C's %s", body, want)
	}
	if hdr.Get("X-Request-Id") != "req-grpc-1" {
		t.Errorf("A's response x-request-id = %q", hdr.Get("X-Request-Id"))
	}

	s := collectGRPCChainSpans(t, a, b, c)
	links := []struct {
		name          string
		child, parent tracetest.SpanStub
		remote        bool
	}{
		{"A client <- A server", s.aClient, s.aServer, false},
		{"B server <- A client", s.bServer, s.aClient, true},
		{"B client <- B server", s.bClient, s.bServer, false},
		{"C server <- B client", s.cServer, s.bClient, true},
		{"C build-response <- C server", s.cBuild, s.cServer, false},
	}
	traceID := s.aServer.SpanContext.TraceID()
	if s.aServer.Parent.IsValid() {
		t.Error("A's server span has a parent, but the caller sent no trace context")
	}
	for _, l := range links {
		if got := l.child.SpanContext.TraceID(); got != traceID {
			t.Errorf("%s: trace %s, want A's %s", l.name, got, traceID)
		}
		if l.child.Parent.SpanID() != l.parent.SpanContext.SpanID() || l.child.Parent.IsRemote() != l.remote {
			t.Errorf("%s: parent %s (remote %v), want %s (remote %v)", l.name,
				l.child.Parent.SpanID(), l.child.Parent.IsRemote(), l.parent.SpanContext.SpanID(), l.remote)
		}
	}
	// x-request-id arrives unchanged at every hop, through gRPC metadata.
	for name, span := range map[string]tracetest.SpanStub{"A": s.aServer, "B": s.bServer, "C": s.cServer} {
		if got, _ := attr(span, "guid:x-request-id"); got != "req-grpc-1" {
			t.Errorf("%s server span x-request-id = %q, want req-grpc-1", name, got)
		}
	}
	if got := serviceName(s.cServer); got != "service-c" {
		t.Errorf("C's server span service.name = %q", got)
	}

	// Each hop counts what it served, per transport.
	serviceOK := map[string]string{"method": "playk8s.sample.v1.Hop/Service", "code": "OK"}
	for _, h := range []recordedHop{b, c} {
		waitForCounter(t, h.Metrics, "sample_app_grpc_requests_total", serviceOK, 1)
	}
	if n := counterValue(t, a.Metrics, "sample_app_grpc_requests_total", serviceOK); n != 0 {
		t.Errorf("A: grpc requests = %v, want 0 (A was called over HTTP)", n)
	}
	if n := counterValue(t, a.Metrics, "sample_app_http_requests_total", map[string]string{"route": "/service", "code": "200"}); n != 1 {
		t.Errorf("A: http requests{/service,200} = %v, want 1", n)
	}
}

// TestGRPCChainContinuesCallersTrace: a trace the caller started (B3, as
// an Envoy gateway may send) runs through the gRPC hops.
func TestGRPCChainContinuesCallersTrace(t *testing.T) {
	const callerTrace = "0af7651916cd43dd8448eb211c80319c"
	a, b, c := grpcChain(t, nil)
	if status, body, _ := get(t, newTestClient(), a.URL+"/service", map[string]string{
		"b3": callerTrace + "-b7ad6b7169203331-1",
	}); status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	s := collectGRPCChainSpans(t, a, b, c)
	for name, span := range map[string]tracetest.SpanStub{"A": s.aServer, "B": s.bServer, "C": s.cServer} {
		if got := span.SpanContext.TraceID().String(); got != callerTrace {
			t.Errorf("%s server span trace %s, want the caller's %s", name, got, callerTrace)
		}
	}
}
