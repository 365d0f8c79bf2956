package server_test

import (
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// chainSpans are the spans one request leaves on the three hops.
type chainSpans struct {
	aServer, bServer, cServer tracetest.SpanStub
	cBuild                    tracetest.SpanStub
}

// collectChainSpans waits for each hop's spans: A and B record only their
// server span (the call to the next hop has none of its own); C records
// server and build-response. A hop recording more fails here.
func collectChainSpans(t *testing.T, a, b, c *hop) chainSpans {
	t.Helper()
	as, bs, cs := waitForSpans(t, a.Exporter, 1), waitForSpans(t, b.Exporter, 1), waitForSpans(t, c.Exporter, 2)
	for name, spans := range map[string][]tracetest.SpanStub{"A": as, "B": bs} {
		if len(spans) != 1 {
			t.Fatalf("%s recorded %d spans, want only its server span: %+v", name, len(spans), spans)
		}
	}
	return chainSpans{
		aServer: findSpan(t, as, trace.SpanKindServer, "GET /service"),
		bServer: findSpan(t, bs, trace.SpanKindServer, "GET /service"),
		cServer: findSpan(t, cs, trace.SpanKindServer, "GET /service"),
		cBuild:  findSpan(t, cs, trace.SpanKindInternal, "build-response"),
	}
}

// checkLinks asserts one trace and the parent of every span.
func (s chainSpans) checkLinks(t *testing.T) {
	t.Helper()
	links := []struct {
		name          string
		child, parent tracetest.SpanStub
	}{
		{"B server <- A server", s.bServer, s.aServer},
		{"C server <- B server", s.cServer, s.bServer},
		{"C build-response <- C server", s.cBuild, s.cServer},
	}
	traceID := s.aServer.SpanContext.TraceID()
	for _, l := range links {
		if l.child.SpanContext.TraceID() != traceID {
			t.Errorf("%s: trace %s, want %s", l.name, l.child.SpanContext.TraceID(), traceID)
		}
		if l.child.Parent.SpanID() != l.parent.SpanContext.SpanID() {
			t.Errorf("%s: parent %s, want %s", l.name, l.child.Parent.SpanID(), l.parent.SpanContext.SpanID())
		}
	}
	// Crossing a hop, the parent is remote; inside a hop it is local.
	if !s.bServer.Parent.IsRemote() || !s.cServer.Parent.IsRemote() || s.cBuild.Parent.IsRemote() {
		t.Error("remote flags of parents are wrong")
	}
}

func TestChainReturnsLastHopsAnswer(t *testing.T) {
	a, b, c := chain(t, true, map[string]string{"SERVICE_C_SERVICE_HOST": "192.0.2.30", "SERVICE_C_SERVICE_PORT": "80"})
	client := newTestClient()

	status, body, hdr := get(t, client, a.URL+"/service", map[string]string{"X-Request-Id": "req-chain-1", "X-User-Id": "u-7"})
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	const want = `{"SERVICE_TYPE":"C","SERVICE_HOST":"192.0.2.30","SERVICE_PORT":"80","DNS_NAME":"service-c.default.svc.cluster.local"}`
	spans := collectChainSpans(t, a, b, c)
	_, cOwn, _ := get(t, client, c.URL+"/", nil)
	if string(body) != want || string(cOwn) != want {
		t.Errorf("A answered %s\nC's own answer %s\nwant %s", body, cOwn, want)
	}
	if hdr.Get("X-Request-Id") != "req-chain-1" {
		t.Errorf("A's response x-request-id = %q", hdr.Get("X-Request-Id"))
	}

	spans.checkLinks(t)
	if spans.aServer.Parent.IsValid() {
		t.Error("A's server span has a parent, but the caller sent no trace context")
	}
	// x-request-id arrives unchanged at every hop.
	for name, s := range map[string]tracetest.SpanStub{"A": spans.aServer, "B": spans.bServer, "C": spans.cServer} {
		if got, _ := attr(s, "guid:x-request-id"); got != "req-chain-1" {
			t.Errorf("%s server span x-request-id = %q", name, got)
		}
	}
	if got, _ := attr(spans.aServer, "enduser.id"); got != "u-7" {
		t.Errorf("A server span enduser.id = %q", got)
	}
	// Each hop reports under its own service name.
	for name, s := range map[string]tracetest.SpanStub{"service-a": spans.aServer, "service-b": spans.bServer, "service-c": spans.cServer} {
		if got := serviceName(s); got != name {
			t.Errorf("service.name = %q, want %q", got, name)
		}
	}
}

func TestChainGeneratesOneRequestIDWhenAbsent(t *testing.T) {
	a, b, c := chain(t, true, nil)
	_, _, hdr := get(t, newTestClient(), a.URL+"/service", nil)
	id := hdr.Get("X-Request-Id")
	if id == "" {
		t.Fatal("A did not answer with a generated x-request-id")
	}
	spans := collectChainSpans(t, a, b, c)
	for name, s := range map[string]tracetest.SpanStub{"A": spans.aServer, "B": spans.bServer, "C": spans.cServer} {
		if got, _ := attr(s, "guid:x-request-id"); got != id {
			t.Errorf("%s saw x-request-id %q, want %q", name, got, id)
		}
	}
}

// TestChainContinuesCallersTrace: whatever format the caller (Envoy) uses,
// all three hops join its trace.
func TestChainContinuesCallersTrace(t *testing.T) {
	const callerTrace = "0af7651916cd43dd8448eb211c80319c"
	const callerSpan = "b7ad6b7169203331"
	tests := []struct {
		name    string
		headers map[string]string
	}{
		{"w3c traceparent", map[string]string{"traceparent": "00-" + callerTrace + "-" + callerSpan + "-01", "tracestate": "istio=1"}},
		{"b3 single", map[string]string{"b3": callerTrace + "-" + callerSpan + "-1"}},
		{"b3 multi", map[string]string{"X-B3-TraceId": callerTrace, "X-B3-SpanId": callerSpan, "X-B3-Sampled": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b, c := chain(t, true, nil)
			if status, body, _ := get(t, newTestClient(), a.URL+"/service", tt.headers); status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			spans := collectChainSpans(t, a, b, c)
			if got := spans.aServer.SpanContext.TraceID().String(); got != callerTrace {
				t.Fatalf("trace id %s, want the caller's %s", got, callerTrace)
			}
			if got := spans.aServer.Parent.SpanID().String(); got != callerSpan {
				t.Errorf("A's server span parent %s, want the caller's span %s", got, callerSpan)
			}
			spans.checkLinks(t)
		})
	}
}

// TestChainPropagatesWithoutExporters: with no exporter configured (the
// default), nothing is recorded but the caller's trace still flows through
// every hop, with a fresh span id per hop.
func TestChainPropagatesWithoutExporters(t *testing.T) {
	const callerTrace = "0af7651916cd43dd8448eb211c80319c"
	seen := make(chan http.Header, 1)
	last := fakeNext(t, func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
		_, _ = w.Write([]byte(`{}`))
	})
	b := startHop(t, newConfig(t, map[string]string{"SERVICE_TYPE": "B", "NEXT": last}), hopOptions{})
	a := startHop(t, newConfig(t, map[string]string{"SERVICE_TYPE": "A", "NEXT": b.URL}), hopOptions{})

	if status, _, _ := get(t, newTestClient(), a.URL+"/service", map[string]string{
		"traceparent": "00-" + callerTrace + "-b7ad6b7169203331-01", "X-Request-Id": "r-1",
	}); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	h := <-seen
	tp := h.Get("traceparent")
	if len(tp) != 55 || tp[3:35] != callerTrace || tp[36:52] == "b7ad6b7169203331" || tp[53:] != "01" {
		t.Errorf("traceparent at the end of the chain = %q", tp)
	}
	if h.Get("X-B3-TraceId") != callerTrace || h.Get("B3") == "" {
		t.Errorf("B3 headers at the end of the chain: %v", h)
	}
	if h.Get("X-Request-Id") != "r-1" {
		t.Errorf("x-request-id at the end of the chain = %q", h.Get("X-Request-Id"))
	}
}

func serviceName(s tracetest.SpanStub) string {
	for _, kv := range s.Resource.Attributes() {
		if kv.Key == "service.name" {
			return kv.Value.AsString()
		}
	}
	return ""
}
