package server_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/hoprpc"
)

// TestGRPCServiceMethod calls a hop's Hop/Service directly, as the hop
// before it does: the answer, the status of a failure with the hop's error
// body in its details, the request id, and the trailer that stops retries.
func TestGRPCServiceMethod(t *testing.T) {
	tests := []struct {
		name     string
		next     func(t *testing.T) string // "" = end of chain
		timeout  string
		sendID   string
		wantBody string         // exact answer on success
		wantCode codes.Code     // status code on failure
		wantHop  *grpcErrorBody // fields of the error body in the details
	}{
		{
			name:     "end of chain answers its identity",
			next:     func(*testing.T) string { return "" },
			sendID:   "req-m-1",
			wantBody: `{"SERVICE_TYPE":"B","SERVICE_HOST":null,"SERVICE_PORT":null,"DNS_NAME":"service-b.default.svc.cluster.local"}`,
		},
		{
			name:     "next hop's answer passed on unchanged",
			next:     func(t *testing.T) string { return fakeGRPCNext(t, answer(`{"SERVICE_TYPE":"C"}`)) },
			wantBody: `{"SERVICE_TYPE":"C"}`,
		},
		{
			name:     "next hop down: Unavailable, body names this hop",
			next:     func(t *testing.T) string { return closedGRPCTarget(t) },
			wantCode: codes.Unavailable,
			wantHop:  &grpcErrorBody{Hop: "B", GRPCCode: "Unavailable"},
		},
		{
			name:     "next hop denies: Unavailable here, PermissionDenied in the body",
			next:     func(t *testing.T) string { return fakeGRPCNext(t, deny(codes.PermissionDenied, rbacDenied)) },
			wantCode: codes.Unavailable,
			wantHop:  &grpcErrorBody{Hop: "B", GRPCCode: "PermissionDenied", Error: "next hop denied the call: " + rbacDenied},
		},
		{
			name:     "next hop too slow: DeadlineExceeded",
			next:     func(t *testing.T) string { return fakeGRPCNext(t, hang) },
			timeout:  "200ms",
			wantCode: codes.DeadlineExceeded,
			wantHop:  &grpcErrorBody{Hop: "B", GRPCCode: "DeadlineExceeded", Error: "next hop did not answer within 200ms"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := tt.next(t)
			env := map[string]string{}
			if tt.timeout != "" {
				env["DOWNSTREAM_TIMEOUT"] = tt.timeout
			}
			b := startGRPCHop(t, newConfig(t, grpcHopEnv("B", next, env)), hopOptions{})

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if tt.sendID != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", tt.sendID)
			}
			var header, trailer metadata.MD
			body, err := hoprpc.CallService(ctx, dialHop(t, b.GRPCTarget), grpc.Header(&header), grpc.Trailer(&trailer))

			ids := header.Get("x-request-id")
			if len(ids) != 1 || ids[0] == "" || (tt.sendID != "" && ids[0] != tt.sendID) {
				t.Errorf("x-request-id in the response headers = %v, want one (%q if sent)", ids, tt.sendID)
			}
			if tt.wantHop == nil {
				if err != nil || string(body) != tt.wantBody {
					t.Fatalf("answer %s, %v; want %s", body, err, tt.wantBody)
				}
				waitForCounter(t, b.Metrics, "sample_app_grpc_requests_total", map[string]string{"method": "playk8s.sample.v1.Hop/Service", "code": "OK"}, 1)
				return
			}
			st := status.Convert(err)
			if st.Code() != tt.wantCode {
				t.Fatalf("code %s (%v), want %s", st.Code(), err, tt.wantCode)
			}
			raw, ok := hoprpc.FailureBody(st)
			if !ok {
				t.Fatalf("status %v carries no error body", st)
			}
			var got grpcErrorBody
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if got.Hop != tt.wantHop.Hop || got.GRPCCode != tt.wantHop.GRPCCode || got.Next != next {
				t.Errorf("error body %s, want hop %s, grpc_code %s, next %s", raw, tt.wantHop.Hop, tt.wantHop.GRPCCode, next)
			}
			if tt.wantHop.Error != "" && (got.Error != tt.wantHop.Error || st.Message() != tt.wantHop.Error) {
				t.Errorf("error %q, status message %q, want both %q", got.Error, st.Message(), tt.wantHop.Error)
			}
			if got := trailer.Get("grpc-retry-pushback-ms"); len(got) != 1 || got[0] != "-1" {
				t.Errorf("retry pushback trailer = %v, want [-1]", got)
			}
			waitForCounter(t, b.Metrics, "sample_app_grpc_requests_total", map[string]string{"code": tt.wantCode.String()}, 1)
		})
	}
}
