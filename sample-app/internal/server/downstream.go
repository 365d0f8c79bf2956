package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/metrics"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/requestid"
)

// maxDownstreamBody bounds how much of the next hop's answer is read.
const maxDownstreamBody = 1 << 20

// statusClientClosedRequest is recorded when our caller went away while we
// waited for the next hop (nginx's convention; never seen by a client).
const statusClientClosedRequest = 499

// downstreamFailure describes why calling the next hop failed and what to
// answer.
type downstreamFailure struct {
	status  int    // our answer's status: 502, 504 or 499
	reason  string // metrics label
	message string
	// grpcCode is the name of the gRPC status code the next hop's call
	// ended with (TRANSPORT=grpc only).
	grpcCode         string
	downstreamStatus int
	downstreamBody   json.RawMessage
	err              error
}

// nextHop calls the next hop over one transport.
type nextHop interface {
	// call returns the next hop's JSON answer unchanged, or why there is
	// none. Every failure mode (refused, reset, slow, denied, an error
	// answer, not JSON, too large) comes back as a downstreamFailure; the
	// call never outlives DOWNSTREAM_TIMEOUT.
	call(ctx context.Context) ([]byte, *downstreamFailure)
	// endpoint is what is called, for logs.
	endpoint() string
	// close releases the connections to the next hop; Serve calls it once
	// no request can use them any more.
	close()
}

// callNext calls the next hop and, on failure, records why: on the server
// span (an exception event and error.type, the metrics' reason), in the
// downstream error metric and in the log.
func (s *Server) callNext(ctx context.Context) ([]byte, *downstreamFailure) {
	body, failure := s.next.call(ctx)
	if failure != nil {
		span := trace.SpanFromContext(ctx)
		span.RecordError(failure.err)
		span.SetAttributes(semconv.ErrorTypeKey.String(failure.reason))
		s.metrics.DownstreamError(s.nextHost, failure.reason)
		id, _ := requestid.FromContext(ctx)
		attrs := []slog.Attr{
			slog.String("hop", s.cfg.ServiceType),
			slog.String("next", s.next.endpoint()),
			slog.String("reason", failure.reason),
			slog.Int("status", failure.status),
			slog.String("error", failure.err.Error()),
			slog.String("request_id", id),
		}
		if failure.grpcCode != "" {
			attrs = append(attrs, slog.String("grpc_code", failure.grpcCode))
		}
		s.log.LogAttrs(ctx, slog.LevelWarn, "call to next hop failed", attrs...)
	}
	return body, failure
}

// failureResponse is this hop's error answer for a failed call to the next
// hop, over HTTP as the body and over gRPC in the status details.
func (s *Server) failureResponse(f *downstreamFailure) errorResponse {
	return errorResponse{
		Error:            f.message,
		Hop:              s.cfg.ServiceType,
		Next:             s.nextName,
		GRPCCode:         f.grpcCode,
		DownstreamStatus: f.downstreamStatus,
		Downstream:       f.downstreamBody,
	}
}

// classifyTransportError turns an error of the HTTP call into a failure.
// parent is the incoming request's context: if it is done, our caller left
// and the error is a consequence, not the next hop's fault.
func classifyTransportError(parent context.Context, err error, timeout time.Duration) *downstreamFailure {
	switch {
	case parent.Err() != nil:
		return canceledByCaller(err)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return &downstreamFailure{status: http.StatusGatewayTimeout, reason: metrics.ReasonTimeout,
			message: timeoutMessage(timeout), err: err}
	default:
		return &downstreamFailure{status: http.StatusBadGateway, reason: metrics.ReasonUnreachable,
			message: "next hop unreachable: " + err.Error(), err: err}
	}
}

func canceledByCaller(err error) *downstreamFailure {
	return &downstreamFailure{status: statusClientClosedRequest, reason: metrics.ReasonCanceled,
		message: "request canceled by the caller", err: err}
}

func timeoutMessage(timeout time.Duration) string {
	return fmt.Sprintf("next hop did not answer within %s", timeout)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
