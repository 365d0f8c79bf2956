package hoprpc

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

type fixedServer struct {
	body []byte
	err  error
}

func (f fixedServer) Service(context.Context, *emptypb.Empty) (*wrapperspb.BytesValue, error) {
	if f.err != nil {
		return nil, f.err
	}
	return wrapperspb.Bytes(f.body), nil
}

// serve runs srv on a loopback port; the interceptor records the method
// name the hand-written descriptor reports.
func serve(t *testing.T, srv HopServer, methods *[]string) *grpc.ClientConn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		*methods = append(*methods, info.FullMethod)
		return h(ctx, req)
	}))
	RegisterHopServer(gs, srv)
	go func() { _ = gs.Serve(ln) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient("passthrough:///"+ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func TestServiceOverTheWire(t *testing.T) {
	errBody := []byte(`{"error":"next hop unreachable","hop":"B"}`)
	tests := []struct {
		name     string
		srv      fixedServer
		wantBody string
		wantCode codes.Code
		wantErr  string // the failure body in the details; "" = none
	}{
		{"answer", fixedServer{body: []byte(`{"SERVICE_TYPE":"C"}`)}, `{"SERVICE_TYPE":"C"}`, codes.OK, ""},
		{"hop failure carries its body", fixedServer{err: FailureStatus(codes.Unavailable, "next hop unreachable", errBody).Err()}, "", codes.Unavailable, string(errBody)},
		{"plain status has no body", fixedServer{err: status.Error(codes.PermissionDenied, "denied")}, "", codes.PermissionDenied, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var methods []string
			body, err := CallService(context.Background(), serve(t, tt.srv, &methods))
			if len(methods) != 1 || methods[0] != "/playk8s.sample.v1.Hop/Service" {
				t.Errorf("server saw methods %v", methods)
			}
			st := status.Convert(err)
			if st.Code() != tt.wantCode || string(body) != tt.wantBody {
				t.Fatalf("answer %q, status %v; want %q, %s", body, st, tt.wantBody, tt.wantCode)
			}
			got, ok := FailureBody(st)
			if ok != (tt.wantErr != "") || string(got) != tt.wantErr {
				t.Errorf("FailureBody = %s, %v; want %s", got, ok, tt.wantErr)
			}
		})
	}
}

func TestFailureBodyIgnoresWhatIsNotJSON(t *testing.T) {
	st := FailureStatus(codes.Unavailable, "x", []byte("not json"))
	// Through the wire form, as a caller sees it.
	if body, ok := FailureBody(status.FromProto(st.Proto())); ok {
		t.Errorf("FailureBody = %q, want none for a body that is not JSON", body)
	}
}
