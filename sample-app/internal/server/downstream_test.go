package server_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// hasException: the span recorded an error (RecordError's event).
func hasException(s tracetest.SpanStub) bool {
	for _, e := range s.Events {
		if e.Name == "exception" {
			return true
		}
	}
	return false
}

// fakeNext starts a loopback server standing in for the next hop.
func fakeNext(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	ln := listenLoopback(t)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// closedPort returns a loopback URL nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln := listenLoopback(t)
	addr := ln.Addr().String()
	_ = ln.Close()
	return "http://" + addr
}

type errorBody struct {
	Error            string          `json:"error"`
	Hop              string          `json:"hop"`
	Next             string          `json:"next"`
	DownstreamStatus int             `json:"downstream_status"`
	Downstream       json.RawMessage `json:"downstream"`
}

func TestDownstreamFailures(t *testing.T) {
	tests := []struct {
		name           string
		next           func(t *testing.T) string
		wantStatus     int
		wantReason     string
		wantErrorHas   string
		wantDownstream string // exact nested body, "" = none
		wantDownStatus int
	}{
		{
			name:         "connection refused",
			next:         closedPort,
			wantStatus:   http.StatusBadGateway,
			wantReason:   "unreachable",
			wantErrorHas: "unreachable",
		},
		{
			name: "connection closed without an answer",
			next: func(t *testing.T) string {
				return fakeNext(t, func(w http.ResponseWriter, r *http.Request) {
					conn, _, err := http.NewResponseController(w).Hijack()
					if err == nil {
						_ = conn.Close()
					}
				})
			},
			wantStatus:   http.StatusBadGateway,
			wantReason:   "unreachable",
			wantErrorHas: "unreachable",
		},
		{
			name: "next hop's error is nested",
			next: func(t *testing.T) string {
				return fakeNext(t, func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(http.StatusBadGateway)
					_, _ = w.Write([]byte(`{"error":"boom","hop":"B"}`))
				})
			},
			wantStatus:     http.StatusBadGateway,
			wantReason:     "bad_status",
			wantErrorHas:   "502",
			wantDownstream: `{"error":"boom","hop":"B"}`,
			wantDownStatus: 502,
		},
		{
			name: "timeout further down stays 504",
			next: func(t *testing.T) string {
				return fakeNext(t, func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(http.StatusGatewayTimeout)
					_, _ = w.Write([]byte(`{"error":"slow","hop":"C"}`))
				})
			},
			wantStatus:     http.StatusGatewayTimeout,
			wantReason:     "bad_status",
			wantDownstream: `{"error":"slow","hop":"C"}`,
			wantDownStatus: 504,
		},
		{
			name: "non-JSON error body is not nested",
			next: func(t *testing.T) string {
				return fakeNext(t, func(w http.ResponseWriter, r *http.Request) {
					http.Error(w, "upstream connect error", http.StatusServiceUnavailable)
				})
			},
			wantStatus:     http.StatusBadGateway,
			wantReason:     "bad_status",
			wantDownStatus: 503,
		},
		{
			name: "redirect is not followed",
			next: func(t *testing.T) string {
				return fakeNext(t, func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusFound)
				})
			},
			wantStatus:     http.StatusBadGateway,
			wantReason:     "bad_status",
			wantDownStatus: 302,
		},
		{
			name: "200 with invalid JSON",
			next: func(t *testing.T) string {
				return fakeNext(t, func(w http.ResponseWriter, r *http.Request) {
					_, _ = w.Write([]byte(`{"SERVICE_TYPE":`))
				})
			},
			wantStatus:   http.StatusBadGateway,
			wantReason:   "bad_body",
			wantErrorHas: "not valid JSON",
		},
		{
			name: "200 with a huge body",
			next: func(t *testing.T) string {
				return fakeNext(t, func(w http.ResponseWriter, r *http.Request) {
					_, _ = w.Write([]byte(`"` + strings.Repeat("x", 2<<20) + `"`))
				})
			},
			wantStatus:   http.StatusBadGateway,
			wantReason:   "bad_body",
			wantErrorHas: "too large",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := tt.next(t)
			a := startHop(t, newConfig(t, map[string]string{"SERVICE_TYPE": "A", "NEXT": next, "DOWNSTREAM_TIMEOUT": "5s"}), hopOptions{exporter: tracetest.NewInMemoryExporter()})

			status, body, _ := get(t, newTestClient(), a.URL+"/service", nil)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", status, tt.wantStatus, body)
			}
			var got errorBody
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("error body is not JSON: %v: %s", err, body)
			}
			if got.Hop != "A" || got.Next != next || got.Error == "" {
				t.Errorf("error body does not name the hop and next: %s", body)
			}
			if !strings.Contains(got.Error, tt.wantErrorHas) {
				t.Errorf("error %q lacks %q", got.Error, tt.wantErrorHas)
			}
			if string(got.Downstream) != tt.wantDownstream || got.DownstreamStatus != tt.wantDownStatus {
				t.Errorf("downstream = %d %s, want %d %s", got.DownstreamStatus, got.Downstream, tt.wantDownStatus, tt.wantDownstream)
			}
			host := strings.TrimPrefix(next, "http://")
			if n := counterValue(t, a.Metrics, "sample_app_downstream_errors_total", map[string]string{"hop": "A", "next": host, "reason": tt.wantReason}); n != 1 {
				t.Errorf("downstream_errors{reason=%q} = %v, want 1", tt.wantReason, n)
			}
			if n := counterValue(t, a.Metrics, "sample_app_http_requests_total", map[string]string{"route": "/service", "code": strconv.Itoa(tt.wantStatus)}); n != 1 {
				t.Errorf("requests{/service,%d} = %v, want 1", tt.wantStatus, n)
			}
			// The failure is on the server span, A's only span: an
			// exception event and error.type = the reason.
			server := findSpan(t, waitForSpans(t, a.Exporter, 1), trace.SpanKindServer, "GET /service")
			if got, _ := attr(server, "error.type"); got != tt.wantReason {
				t.Errorf("server span error.type = %q, want %q", got, tt.wantReason)
			}
			if !hasException(server) {
				t.Errorf("server span has no exception event: %+v", server.Events)
			}
			// The hop itself is still healthy.
			if status, _, _ := get(t, newTestClient(), a.URL+"/", nil); status != http.StatusOK {
				t.Errorf("GET / after failure: %d", status)
			}
		})
	}
}

func TestDownstreamTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	next := fakeNext(t, func(w http.ResponseWriter, r *http.Request) {
		select { // hang until the test ends or the caller gives up
		case <-release:
		case <-r.Context().Done():
		}
	})
	a := startHop(t, newConfig(t, map[string]string{"SERVICE_TYPE": "A", "NEXT": next, "DOWNSTREAM_TIMEOUT": timeout.String()}), hopOptions{})

	start := time.Now()
	status, body, _ := get(t, newTestClient(), a.URL+"/service", nil)
	elapsed := time.Since(start)

	if status != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504; body %s", status, body)
	}
	if elapsed < timeout || elapsed > timeout+time.Second {
		t.Errorf("answered after %s, want just after the %s timeout", elapsed, timeout)
	}
	var got errorBody
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Hop != "A" || got.Next != next || !strings.Contains(got.Error, timeout.String()) {
		t.Errorf("error body %s", body)
	}
	host := strings.TrimPrefix(next, "http://")
	if n := counterValue(t, a.Metrics, "sample_app_downstream_errors_total", map[string]string{"next": host, "reason": "timeout"}); n != 1 {
		t.Errorf("downstream timeouts = %v, want 1", n)
	}
}

// TestChainFailureNamesTheFailingHop: C is down; B reports it, and A's
// answer carries B's report, so the head of the chain shows where it broke.
func TestChainFailureNamesTheFailingHop(t *testing.T) {
	down := closedPort(t)
	b := startHop(t, newConfig(t, map[string]string{"SERVICE_TYPE": "B", "NEXT": down}), hopOptions{})
	a := startHop(t, newConfig(t, map[string]string{"SERVICE_TYPE": "A", "NEXT": b.URL}), hopOptions{})

	status, body, _ := get(t, newTestClient(), a.URL+"/service", nil)
	if status != http.StatusBadGateway {
		t.Fatalf("status %d; body %s", status, body)
	}
	var got errorBody
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	var nested errorBody
	if err := json.Unmarshal(got.Downstream, &nested); err != nil {
		t.Fatalf("no nested error: %s", body)
	}
	if got.Hop != "A" || got.DownstreamStatus != 502 || nested.Hop != "B" || nested.Next != down {
		t.Errorf("chain error %s", body)
	}
}
