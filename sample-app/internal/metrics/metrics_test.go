package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestInstrumentsAreSeparatePerInstance(t *testing.T) {
	a, b := New("A"), New("B")
	a.ObserveRequest("/service", 200, 3*time.Millisecond)
	a.ObserveRequest("/service", 200, time.Millisecond)
	a.ObserveRequest("/service", 502, time.Millisecond)
	a.DownstreamError("service-b:8000", ReasonTimeout)

	if got := testutil.ToFloat64(a.requests.WithLabelValues("/service", "200")); got != 2 {
		t.Errorf("A /service 200 = %v, want 2", got)
	}
	if got := testutil.ToFloat64(a.requests.WithLabelValues("/service", "502")); got != 1 {
		t.Errorf("A /service 502 = %v, want 1", got)
	}
	if got := testutil.ToFloat64(a.downstreamErrors.WithLabelValues("service-b:8000", ReasonTimeout)); got != 1 {
		t.Errorf("A downstream timeouts = %v, want 1", got)
	}
	if got := testutil.CollectAndCount(b.requests); got != 0 {
		t.Errorf("B saw %d request series; registries must not be shared", got)
	}
	if got := testutil.CollectAndCount(a.duration); got != 1 {
		t.Errorf("duration series = %d, want 1 (one route)", got)
	}
}

func TestHandlerExposesHopLabel(t *testing.T) {
	m := New("C")
	m.ObserveRequest("/", 200, time.Millisecond)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`sample_app_http_requests_total{code="200",hop="C",route="/"} 1`,
		`sample_app_http_request_duration_seconds_count{hop="C",route="/"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

func TestGRPCRequestsAndDeniedReasonAreExposed(t *testing.T) {
	m := New("B")
	m.ObserveRPC("playk8s.sample.v1.Hop/Service", "OK", time.Millisecond)
	m.ObserveRPC("playk8s.sample.v1.Hop/Service", "PermissionDenied", time.Millisecond)
	m.DownstreamError("service-c:8001", ReasonDenied)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`sample_app_grpc_requests_total{code="OK",hop="B",method="playk8s.sample.v1.Hop/Service"} 1`,
		`sample_app_grpc_requests_total{code="PermissionDenied",hop="B",method="playk8s.sample.v1.Hop/Service"} 1`,
		`sample_app_grpc_request_duration_seconds_count{hop="B",method="playk8s.sample.v1.Hop/Service"} 2`,
		`sample_app_downstream_errors_total{hop="B",next="service-c:8001",reason="denied"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}
