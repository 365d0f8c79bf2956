package server_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/metrics"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/server"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/tracing"
)

// newHandler returns a server's handler (no listener) and what it records.
func newHandler(t *testing.T, env map[string]string) (http.Handler, *metrics.Metrics, *tracetest.InMemoryExporter) {
	t.Helper()
	cfg := newConfig(t, env)
	exp := tracetest.NewInMemoryExporter()
	m := metrics.New(cfg.ServiceType)
	srv := newServer(t, server.Deps{
		Config:         cfg,
		Metrics:        m,
		TracerProvider: tracing.NewProvider(tracing.Options{ServiceName: cfg.ServiceName, Exporter: exp, Synchronous: true}),
	})
	return srv.Handler(), m, exp
}

func serve(h http.Handler, method, target string, headers map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRootAnswersWithDiscoveryFields(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // exact body: key order and null encoding are the contract
	}{
		{
			name: "tutorial example",
			env:  map[string]string{"SERVICE_TYPE": "A", "SERVICE_A_SERVICE_HOST": "192.0.2.183", "SERVICE_A_SERVICE_PORT": "80"},
			want: `{"SERVICE_TYPE":"A","SERVICE_HOST":"192.0.2.183","SERVICE_PORT":"80","DNS_NAME":"service-a.default.svc.cluster.local"}`,
		},
		{
			name: "missing variables are null",
			env:  map[string]string{"SERVICE_TYPE": "B", "POD_NAMESPACE": "playground"},
			want: `{"SERVICE_TYPE":"B","SERVICE_HOST":null,"SERVICE_PORT":null,"DNS_NAME":"service-b.playground.svc.cluster.local"}`,
		},
		{
			name: "version after the tutorial's keys",
			env:  map[string]string{"SERVICE_TYPE": "C", "SERVICE_VERSION": "v2", "SERVICE_C_SERVICE_PORT": "80"},
			want: `{"SERVICE_TYPE":"C","SERVICE_HOST":null,"SERVICE_PORT":"80","DNS_NAME":"service-c.default.svc.cluster.local","VERSION":"v2"}`,
		},
		{
			name: "dashed hop name",
			env:  map[string]string{"SERVICE_TYPE": "edge-1", "SERVICE_EDGE_1_SERVICE_PORT": "8000"},
			want: `{"SERVICE_TYPE":"edge-1","SERVICE_HOST":null,"SERVICE_PORT":"8000","DNS_NAME":"service-edge-1.default.svc.cluster.local"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _, _ := newHandler(t, tt.env)
			for _, path := range []string{"/", "/service"} { // a leaf's /service is its own answer
				rec := serve(h, http.MethodGet, path, nil)
				if rec.Code != http.StatusOK {
					t.Fatalf("%s: status %d", path, rec.Code)
				}
				if got := rec.Body.String(); got != tt.want {
					t.Errorf("%s: body\n got %s\nwant %s", path, got, tt.want)
				}
				if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("%s: Content-Type %q", path, ct)
				}
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	tests := []struct {
		method, path string
		wantStatus   int
		wantJSON     map[string]any // subset of the body; nil = not JSON
		wantInBody   string
	}{
		{"GET", "/healthz", 200, map[string]any{"status": "ok"}, ""},
		{"GET", "/readyz", 200, map[string]any{"status": "ready"}, ""},
		{"GET", "/metrics", 200, nil, "sample_app_http_requests_total"},
		{"HEAD", "/", 200, nil, ""},
		{"GET", "/nope", 404, map[string]any{"error": "not found", "hop": "A", "path": "/nope"}, ""},
		{"GET", "/service/", 404, map[string]any{"error": "not found", "path": "/service/"}, ""},
		{"GET", "/healthz/x", 404, map[string]any{"error": "not found"}, ""},
		{"POST", "/", 405, map[string]any{"error": "method not allowed", "method": "POST", "hop": "A"}, ""},
		{"DELETE", "/service", 405, map[string]any{"error": "method not allowed"}, ""},
	}
	h, _, _ := newHandler(t, map[string]string{"SERVICE_TYPE": "A"})
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := serve(h, tt.method, tt.path, nil)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus == 405 && rec.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow = %q", rec.Header().Get("Allow"))
			}
			if tt.wantJSON != nil {
				var got map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
					t.Fatalf("body is not JSON: %v: %s", err, rec.Body)
				}
				for k, v := range tt.wantJSON {
					if got[k] != v {
						t.Errorf("%s = %v, want %v", k, got[k], v)
					}
				}
			}
			if !strings.Contains(rec.Body.String(), tt.wantInBody) {
				t.Errorf("body lacks %q", tt.wantInBody)
			}
		})
	}
}

func TestRequestMetricsByRouteAndStatus(t *testing.T) {
	h, m, _ := newHandler(t, map[string]string{"SERVICE_TYPE": "A"})
	for range 3 {
		serve(h, "GET", "/", nil)
	}
	serve(h, "GET", "/service", nil)
	serve(h, "GET", "/does-not-exist", nil)
	serve(h, "GET", "/another-miss", nil)
	serve(h, "POST", "/service", nil)

	tests := []struct {
		route, code string
		want        float64
	}{
		{"/", "200", 3},
		{"/service", "200", 1},
		{"/service", "405", 1},
		{"unmatched", "404", 2},
		{"/healthz", "200", 0},
	}
	for _, tt := range tests {
		got := counterValue(t, m, "sample_app_http_requests_total", map[string]string{"route": tt.route, "code": tt.code, "hop": "A"})
		if got != tt.want {
			t.Errorf("requests{route=%q,code=%q} = %v, want %v", tt.route, tt.code, got, tt.want)
		}
	}
}

// TestIncomingTraceContext covers good and bad trace headers: bad ones must
// never fail the request; the hop starts a new trace instead.
func TestIncomingTraceContext(t *testing.T) {
	const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	const callerSpan = "00f067aa0ba902b7"
	tests := []struct {
		name      string
		headers   map[string]string
		continues bool // the server span continues callerTrace
	}{
		{"w3c", map[string]string{"traceparent": "00-" + callerTrace + "-" + callerSpan + "-01"}, true},
		{"b3 single", map[string]string{"b3": callerTrace + "-" + callerSpan + "-1"}, true},
		{"b3 multi", map[string]string{"X-B3-TraceId": callerTrace, "X-B3-SpanId": callerSpan, "X-B3-Sampled": "1"}, true},
		{"malformed traceparent", map[string]string{"traceparent": "00-" + callerTrace + "-nothex-01"}, false},
		{"traceparent with zero trace id", map[string]string{"traceparent": "00-00000000000000000000000000000000-" + callerSpan + "-01"}, false},
		{"truncated traceparent", map[string]string{"traceparent": "00-" + callerTrace}, false},
		{"malformed b3 single", map[string]string{"b3": "garbage"}, false},
		{"malformed b3 multi", map[string]string{"X-B3-TraceId": "xyz", "X-B3-SpanId": callerSpan}, false},
		{"b3 multi without span id", map[string]string{"X-B3-TraceId": callerTrace}, false},
		{"oversized tracestate with bad traceparent", map[string]string{"traceparent": "zz", "tracestate": strings.Repeat("a=b,", 200)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _, exp := newHandler(t, map[string]string{"SERVICE_TYPE": "A"})
			rec := serve(h, "GET", "/", tt.headers)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200", rec.Code)
			}
			spans := exp.GetSpans()
			srv := findSpan(t, spans, trace.SpanKindServer, "GET /")
			child := findSpan(t, spans, trace.SpanKindInternal, "build-response")
			if !srv.SpanContext.IsValid() {
				t.Fatal("server span has no valid context")
			}
			if tt.continues {
				if srv.SpanContext.TraceID().String() != callerTrace || srv.Parent.SpanID().String() != callerSpan || !srv.Parent.IsRemote() {
					t.Errorf("server span %s parent %s, want trace %s parent %s",
						srv.SpanContext.TraceID(), srv.Parent.SpanID(), callerTrace, callerSpan)
				}
			} else {
				if srv.Parent.IsValid() {
					t.Errorf("server span has parent %v, want a new root", srv.Parent)
				}
				if srv.SpanContext.TraceID().String() == callerTrace {
					t.Error("bad headers were partly adopted")
				}
			}
			if child.Parent.SpanID() != srv.SpanContext.SpanID() || child.SpanContext.TraceID() != srv.SpanContext.TraceID() {
				t.Error("build-response is not a child of the server span")
			}
		})
	}
}

func TestServerSpanAttributes(t *testing.T) {
	h, _, exp := newHandler(t, map[string]string{"SERVICE_TYPE": "A"})
	rec := serve(h, "GET", "/service", map[string]string{"X-User-Id": "user-42", "X-Request-Id": "req-abc"})
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	if got := rec.Header().Get("X-Request-Id"); got != "req-abc" {
		t.Errorf("response x-request-id = %q", got)
	}
	srv := findSpan(t, exp.GetSpans(), trace.SpanKindServer, "GET /service")
	for key, want := range map[string]string{
		"enduser.id":        "user-42",
		"guid:x-request-id": "req-abc",
		"http.route":        "/service",
	} {
		if got, _ := attr(srv, key); got != want {
			t.Errorf("server span %s = %q, want %q", key, got, want)
		}
	}
}

func TestProbesAreNotTraced(t *testing.T) {
	h, _, exp := newHandler(t, map[string]string{"SERVICE_TYPE": "A"})
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		serve(h, "GET", p, nil)
	}
	if spans := exp.GetSpans(); len(spans) != 0 {
		t.Errorf("probes produced spans: %v", spanNames(spans))
	}
}

// TestOversizedHeadersGet431 needs a real listener: the limit is enforced by
// net/http's connection reader, before any handler runs. A raw connection
// reads the answer while the request is still being written: the server
// answers and closes without reading the rest, which an ordinary client can
// see as a reset instead of the 431.
func TestOversizedHeadersGet431(t *testing.T) {
	a := startHop(t, newConfig(t, map[string]string{"SERVICE_TYPE": "A"}), hopOptions{})
	addr := strings.TrimPrefix(a.URL, "http://")

	tests := []struct {
		name       string
		headerSize int
		want       int
	}{
		{"128 KiB of headers", 128 << 10, http.StatusRequestHeaderFieldsTooLarge},
		{"56 KiB, under Envoy's 60 KiB limit", 56 << 10, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			req := "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + strings.Repeat("x", tt.headerSize) + "\r\nConnection: close\r\n\r\n"
			go func() { _, _ = io.WriteString(conn, req) }() // may fail once the server gave up

			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("read response: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}
