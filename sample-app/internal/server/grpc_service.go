package server

import (
	"context"
	"encoding/json"
	"net/http"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/hoprpc"
)

// retryPushbackKey is gRPC's trailer by which a server asks clients not to
// retry (gRFC A6: a negative value means "do not retry").
const retryPushbackKey = "grpc-retry-pushback-ms"

// hopService serves Hop/Service with the logic of GET /service: the next
// hop's answer, or the hop's own identity at the end of the chain.
type hopService struct{ s *Server }

var _ hoprpc.HopServer = hopService{}

// Service implements hoprpc.HopServer.
func (h hopService) Service(ctx context.Context, _ *emptypb.Empty) (*wrapperspb.BytesValue, error) {
	s := h.s
	if s.next == nil {
		return wrapperspb.Bytes(s.buildResponse(ctx)), nil
	}
	body, failure := s.callNext(ctx)
	if failure == nil {
		return wrapperspb.Bytes(body), nil
	}
	errBody, err := json.Marshal(s.failureResponse(failure))
	if err != nil {
		// Strings, ints and valid JSON always marshal.
		panic("marshal error response: " + err.Error())
	}
	// This hop already called its next hop, and the mesh's retry policy
	// (Istio's default retries "unavailable" and "cancelled" twice) applied
	// there. A caller retrying this hop would run the whole chain below it
	// again, once more per hop above: the pushback trailer tells gRPC
	// clients not to. SetTrailer fails only after the handler returned.
	_ = grpc.SetTrailer(ctx, metadata.Pairs(retryPushbackKey, "-1"))
	return nil, hoprpc.FailureStatus(codeOfHopFailure(failure.status), failure.message, errBody).Err()
}

// codeOfHopFailure is the status code a hop answers when its next hop
// failed, from the HTTP status it answers then; it says what happened at
// this hop, not at the next one (that is in the details' grpc_code):
//
//   - 504, the next hop (or one further down) did not answer in time:
//     DeadlineExceeded, so the caller answers 504 in turn, as over HTTP;
//   - 499, our caller left: Canceled (nobody reads it);
//   - 502, anything else: Unavailable, gRPC's own mapping of HTTP 502 and
//     what a proxy answers for an upstream it could not use: this hop
//     cannot serve the request now, for a reason outside itself. Internal
//     would blame a bug in this hop, Unknown would say nothing, and the
//     codes a caller could act on (PermissionDenied, InvalidArgument, ...)
//     describe its own request, which was fine. Retries, which Unavailable
//     would invite, are turned off by the pushback trailer above.
func codeOfHopFailure(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusGatewayTimeout:
		return codes.DeadlineExceeded
	case statusClientClosedRequest:
		return codes.Canceled
	default:
		return codes.Unavailable
	}
}

// httpStatusOfHopFailure inverts codeOfHopFailure: the HTTP status the
// next hop would have answered for the failure it reported with code.
func httpStatusOfHopFailure(code codes.Code) int {
	switch code {
	case codes.DeadlineExceeded:
		return http.StatusGatewayTimeout
	case codes.Canceled:
		return statusClientClosedRequest
	default:
		return http.StatusBadGateway
	}
}
