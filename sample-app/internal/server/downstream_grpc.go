package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	xdscreds "google.golang.org/grpc/credentials/xds"
	"google.golang.org/grpc/status"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/config"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/forward"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/hoprpc"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/metrics"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/requestid"
)

// bytesValueOverhead is what protobuf adds around the JSON in a
// BytesValue: a tag byte and the length as a varint (3 bytes up to 2 MiB).
const bytesValueOverhead = 8

// grpcNextHop calls the next hop's Hop/Service method (TRANSPORT=grpc)
// through one ClientConn, made at start and shared by every request: it
// connects on the first call, keeps its HTTP/2 connections, and with an
// xds:/// target gets endpoints, load balancing, mTLS, retries and fault
// injection from istiod.
//
// Unlike the HTTP call, this one has a client span (otelgrpc's stats
// handler). Over HTTP the caller's Envoy sidecar records the call; in the
// proxyless data plane there is no sidecar, so without this span nothing
// would show the time spent connecting, waiting for xDS or in retries
// between this hop's server span and the next hop's.
type grpcNextHop struct {
	conn    *grpc.ClientConn
	target  string
	timeout time.Duration
}

func newGRPCNextHop(target config.GRPCTarget, timeout time.Duration, given *GRPCCredentials, inst instrumentation) (*grpcNextHop, error) {
	creds := insecure.NewCredentials()
	if given != nil {
		creds = given.Client
	}
	if target.UsesXDS() {
		// mTLS when istiod says the next hop takes it (the
		// DestinationRule/PeerAuthentication of the mesh), plaintext
		// otherwise: the fallback is what xDS asks for when it sends no
		// security configuration.
		c, err := xdscreds.NewClientCredentials(xdscreds.ClientOptions{FallbackCreds: insecure.NewCredentials()})
		if err != nil {
			return nil, fmt.Errorf("xDS client credentials for %s: %w", target, err)
		}
		creds = c
	}
	conn, err := grpc.NewClient(target.String(),
		grpc.WithTransportCredentials(creds),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(
			otelgrpc.WithTracerProvider(inst.tracerProvider),
			otelgrpc.WithPropagators(inst.propagator),
			otelgrpc.WithMeterProvider(inst.meterProvider),
		)),
		// forward's interceptor sends only what the server side stored,
		// which it does only with FORWARD_HEADERS set.
		grpc.WithChainUnaryInterceptor(requestid.UnaryClientInterceptor, forward.UnaryClientInterceptor),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxDownstreamBody+bytesValueOverhead)),
	)
	if err != nil {
		return nil, fmt.Errorf("gRPC client for NEXT=%s: %w", target, err)
	}
	return &grpcNextHop{conn: conn, target: target.String(), timeout: timeout}, nil
}

func (h *grpcNextHop) endpoint() string { return h.target + " " + hoprpc.ServiceMethod }

func (h *grpcNextHop) close() { _ = h.conn.Close() }

func (h *grpcNextHop) call(parent context.Context) ([]byte, *downstreamFailure) {
	ctx, cancel := context.WithTimeout(parent, h.timeout)
	defer cancel()
	body, err := hoprpc.CallService(ctx, h.conn)
	if err != nil {
		return nil, h.classify(parent, ctx, err)
	}
	if len(body) > maxDownstreamBody {
		return nil, answerTooLarge()
	}
	if !json.Valid(body) {
		return nil, answerNotJSON()
	}
	return body, nil
}

// classify turns the status of a failed call into a failure, answered as
// over HTTP (502, 504 for a timeout, 499 when our caller left), with the
// status code named in grpc_code and its message kept in the error, so
// that a denial by an AuthorizationPolicy ("incoming RPC did not match an
// allow policy") or a fault injected by a VirtualService ("RPC terminated
// due to fault injection") reads as such at the head of the chain.
//
// call is the call's own context: a DeadlineExceeded before its deadline
// came from the route istiod sent (a VirtualService's timeout, which
// gRPC-Go applies as the route's max stream duration), and says so.
func (h *grpcNextHop) classify(parent, call context.Context, err error) *downstreamFailure {
	st := status.Convert(err)
	code := st.Code()
	f := &downstreamFailure{status: http.StatusBadGateway, grpcCode: code.String(), err: err}
	body, fromHop := hoprpc.FailureBody(st)
	switch {
	case parent.Err() != nil:
		canceled := canceledByCaller(err)
		canceled.grpcCode = f.grpcCode
		return canceled
	case fromHop:
		// The next hop answered with its own error (its next hop failed):
		// nested, as over HTTP for a non-200 answer; a timeout further
		// down stays a timeout.
		f.reason = metrics.ReasonBadStatus
		f.message = fmt.Sprintf("next hop answered %s: %s", code, st.Message())
		f.downstreamStatus = httpStatusOfHopFailure(code)
		f.downstreamBody = body
		if f.downstreamStatus == http.StatusGatewayTimeout {
			f.status = http.StatusGatewayTimeout
		}
	case code == codes.DeadlineExceeded && !deadlineReached(call):
		f.status, f.reason, f.message = http.StatusGatewayTimeout, metrics.ReasonTimeout, "next hop did not answer within the route's timeout: "+st.Message()
	case code == codes.DeadlineExceeded:
		f.status, f.reason, f.message = http.StatusGatewayTimeout, metrics.ReasonTimeout, timeoutMessage(h.timeout)
	case code == codes.PermissionDenied || code == codes.Unauthenticated:
		f.reason, f.message = metrics.ReasonDenied, "next hop denied the call: "+st.Message()
	case code == codes.Unavailable:
		// No connection, a reset, no endpoints from xDS, a TLS handshake
		// that failed, or an injected abort.
		f.reason, f.message = metrics.ReasonUnreachable, "next hop unreachable: "+st.Message()
	default:
		f.reason = metrics.ReasonBadStatus
		f.message = fmt.Sprintf("next hop answered %s: %s", code, st.Message())
	}
	return f
}

// deadlineReached reports whether ctx's deadline has come, by the clock
// rather than by ctx.Err(): a context learns of its deadline from a timer
// that may not have fired yet when gRPC-Go, reading the clock itself,
// already turned the server's RST_STREAM into DeadlineExceeded.
func deadlineReached(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}
