package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// grpcErrorBody is an error answer with the gRPC fields.
type grpcErrorBody struct {
	Error            string          `json:"error"`
	Hop              string          `json:"hop"`
	Next             string          `json:"next"`
	GRPCCode         string          `json:"grpc_code"`
	DownstreamStatus int             `json:"downstream_status"`
	Downstream       json.RawMessage `json:"downstream"`
}

// Messages gRPC-Go's xDS filters use for what istiod configured.
const (
	rbacDenied    = "incoming RPC did not match an allow policy"
	faultInjected = "RPC terminated due to fault injection"
)

// deny, fail and hang are next hops.
func deny(code codes.Code, msg string) fakeHopServer {
	return func(context.Context) (*wrapperspb.BytesValue, error) { return nil, status.Error(code, msg) }
}

func answer(body string) fakeHopServer {
	return func(context.Context) (*wrapperspb.BytesValue, error) { return wrapperspb.Bytes([]byte(body)), nil }
}

// hang answers only when the caller gives up.
func hang(ctx context.Context) (*wrapperspb.BytesValue, error) {
	<-ctx.Done()
	return nil, status.FromContextError(ctx.Err()).Err()
}

// nestedFailure is what the head must nest for a failure two hops down.
type nestedFailure struct {
	hop      string
	status   int
	grpcCode string
	errorHas string
}

func TestGRPCDownstreamFailures(t *testing.T) {
	tests := []struct {
		name string
		// next returns A's NEXT; it may start a B in front of the failure.
		next         func(t *testing.T) string
		timeout      string // A's DOWNSTREAM_TIMEOUT
		wantStatus   int
		wantReason   string
		wantCode     string // grpc_code in A's answer
		wantErrorHas string
		wantNested   *nestedFailure
	}{
		{
			name:       "denied by the next hop's authorization policy",
			next:       func(t *testing.T) string { return fakeGRPCNext(t, deny(codes.PermissionDenied, rbacDenied)) },
			wantStatus: http.StatusBadGateway, wantReason: "denied", wantCode: "PermissionDenied",
			wantErrorHas: rbacDenied,
		},
		{
			name:       "unauthenticated",
			next:       func(t *testing.T) string { return fakeGRPCNext(t, deny(codes.Unauthenticated, "no peer certificate")) },
			wantStatus: http.StatusBadGateway, wantReason: "denied", wantCode: "Unauthenticated",
			wantErrorHas: "no peer certificate",
		},
		{
			name:       "fault injected",
			next:       func(t *testing.T) string { return fakeGRPCNext(t, deny(codes.Unavailable, faultInjected)) },
			wantStatus: http.StatusBadGateway, wantReason: "unreachable", wantCode: "Unavailable",
			wantErrorHas: faultInjected,
		},
		{
			name:       "next hop down",
			next:       func(t *testing.T) string { return closedGRPCTarget(t) },
			wantStatus: http.StatusBadGateway, wantReason: "unreachable", wantCode: "Unavailable",
			wantErrorHas: "next hop unreachable",
		},
		{
			// gRPC-Go ends a call at the route's max stream duration (a
			// VirtualService timeout from istiod) with DeadlineExceeded,
			// while the hop's own deadline is still ahead.
			name: "cut by the route's timeout before the hop's own",
			next: func(t *testing.T) string {
				return fakeGRPCNext(t, deny(codes.DeadlineExceeded, "context deadline exceeded"))
			},
			timeout:    "1m",
			wantStatus: http.StatusGatewayTimeout, wantReason: "timeout", wantCode: "DeadlineExceeded",
			wantErrorHas: "did not answer within the route's timeout",
		},
		{
			name:       "next hop too slow",
			next:       func(t *testing.T) string { return fakeGRPCNext(t, hang) },
			timeout:    "300ms",
			wantStatus: http.StatusGatewayTimeout, wantReason: "timeout", wantCode: "DeadlineExceeded",
			wantErrorHas: "did not answer within 300ms",
		},
		{
			name:       "other status",
			next:       func(t *testing.T) string { return fakeGRPCNext(t, deny(codes.Internal, "boom")) },
			wantStatus: http.StatusBadGateway, wantReason: "bad_status", wantCode: "Internal",
			wantErrorHas: "boom",
		},
		{
			name:       "answer is not JSON",
			next:       func(t *testing.T) string { return fakeGRPCNext(t, answer(`{"SERVICE_TYPE":`)) },
			wantStatus: http.StatusBadGateway, wantReason: "bad_body",
			wantErrorHas: "not valid JSON",
		},
		{
			name: "failure two hops down nests the next hop's answer",
			next: func(t *testing.T) string {
				return startGRPCHop(t, newConfig(t, grpcHopEnv("B", closedGRPCTarget(t), nil)), hopOptions{}).GRPCTarget
			},
			wantStatus: http.StatusBadGateway, wantReason: "bad_status", wantCode: "Unavailable",
			wantErrorHas: "next hop answered Unavailable",
			wantNested:   &nestedFailure{hop: "B", status: 502, grpcCode: "Unavailable", errorHas: "next hop unreachable"},
		},
		{
			name: "denial two hops down stays visible at the head",
			next: func(t *testing.T) string {
				c := fakeGRPCNext(t, deny(codes.PermissionDenied, rbacDenied))
				return startGRPCHop(t, newConfig(t, grpcHopEnv("B", c, nil)), hopOptions{}).GRPCTarget
			},
			wantStatus: http.StatusBadGateway, wantReason: "bad_status", wantCode: "Unavailable",
			wantNested: &nestedFailure{hop: "B", status: 502, grpcCode: "PermissionDenied", errorHas: rbacDenied},
		},
		{
			name: "timeout two hops down stays a timeout",
			next: func(t *testing.T) string {
				c := fakeGRPCNext(t, hang)
				return startGRPCHop(t, newConfig(t, grpcHopEnv("B", c, map[string]string{"DOWNSTREAM_TIMEOUT": "300ms"})), hopOptions{}).GRPCTarget
			},
			wantStatus: http.StatusGatewayTimeout, wantReason: "bad_status", wantCode: "DeadlineExceeded",
			wantNested: &nestedFailure{hop: "B", status: 504, grpcCode: "DeadlineExceeded", errorHas: "within 300ms"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := tt.next(t)
			timeout := tt.timeout
			if timeout == "" {
				timeout = "5s"
			}
			a := startGRPCHop(t, newConfig(t, grpcHopEnv("A", next, map[string]string{"DOWNSTREAM_TIMEOUT": timeout})),
				hopOptions{exporter: tracetest.NewInMemoryExporter()})

			status, body, _ := get(t, newTestClient(), a.URL+"/service", nil)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", status, tt.wantStatus, body)
			}
			var got grpcErrorBody
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("error body is not JSON: %v: %s", err, body)
			}
			if got.Hop != "A" || got.Next != next || got.GRPCCode != tt.wantCode {
				t.Errorf("hop %q, next %q, grpc_code %q; want A, %s, %q: %s", got.Hop, got.Next, got.GRPCCode, next, tt.wantCode, body)
			}
			if !strings.Contains(got.Error, tt.wantErrorHas) {
				t.Errorf("error %q lacks %q", got.Error, tt.wantErrorHas)
			}
			checkNested(t, got, tt.wantNested, body)

			if n := counterValue(t, a.Metrics, "sample_app_downstream_errors_total", map[string]string{"next": endpointOf(next), "reason": tt.wantReason}); n != 1 {
				t.Errorf("downstream_errors{reason=%q} = %v, want 1", tt.wantReason, n)
			}
			if n := counterValue(t, a.Metrics, "sample_app_http_requests_total", map[string]string{"route": "/service", "code": strconv.Itoa(tt.wantStatus)}); n != 1 {
				t.Errorf("requests{/service,%d} = %v, want 1", tt.wantStatus, n)
			}
			// The failure is on A's server span; the client span has
			// the call's own status.
			spans := waitForSpans(t, a.Exporter, 2)
			server := findSpan(t, spans, trace.SpanKindServer, "GET /service")
			if got, _ := attr(server, "error.type"); got != tt.wantReason {
				t.Errorf("server span error.type = %q, want %q", got, tt.wantReason)
			}
			if !hasException(server) {
				t.Errorf("server span has no exception event: %+v", server.Events)
			}
			findSpan(t, spans, trace.SpanKindClient, hopMethodSpan)
		})
	}
}

func checkNested(t *testing.T, got grpcErrorBody, want *nestedFailure, body []byte) {
	t.Helper()
	if want == nil {
		if got.Downstream != nil || got.DownstreamStatus != 0 {
			t.Errorf("unexpected downstream %d %s", got.DownstreamStatus, got.Downstream)
		}
		return
	}
	var nested grpcErrorBody
	if err := json.Unmarshal(got.Downstream, &nested); err != nil {
		t.Fatalf("no nested error: %s", body)
	}
	if got.DownstreamStatus != want.status || nested.Hop != want.hop || nested.GRPCCode != want.grpcCode || nested.Next == "" {
		t.Errorf("downstream_status %d, nested hop %q, grpc_code %q, next %q; want %d, %q, %q: %s",
			got.DownstreamStatus, nested.Hop, nested.GRPCCode, nested.Next, want.status, want.hop, want.grpcCode, body)
	}
	if !strings.Contains(nested.Error, want.errorHas) {
		t.Errorf("nested error %q lacks %q", nested.Error, want.errorHas)
	}
}
