package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"go.opentelemetry.io/otel/propagation"
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
	status           int    // our answer's status: 502, 504 or 499
	reason           string // metrics label
	message          string
	downstreamStatus int
	downstreamBody   json.RawMessage
	err              error
}

// callNext calls NEXT/service and returns its JSON body unchanged. Every
// failure mode (refused, reset, slow, non-200, not JSON, too large) comes
// back as a downstreamFailure; the call never outlives DOWNSTREAM_TIMEOUT.
//
// The call carries the trace context (the propagator's headers) but has
// no span of its own: the next hop's server span is the call's child, and
// inside the mesh both sidecars record the call as client and server
// spans, so an HTTP client span here would repeat the caller's sidecar
// span; it was a third of the spans of every chain request, and tracing's
// cost is per span. A failure is recorded on the server span, as an
// exception event and error.type (the metrics' reason label).
func (s *Server) callNext(ctx context.Context) ([]byte, *downstreamFailure) {
	body, failure := s.doCallNext(ctx)
	if failure != nil {
		span := trace.SpanFromContext(ctx)
		span.RecordError(failure.err)
		span.SetAttributes(semconv.ErrorTypeKey.String(failure.reason))
		s.metrics.DownstreamError(s.nextHost, failure.reason)
		id, _ := requestid.FromContext(ctx)
		s.log.LogAttrs(ctx, slog.LevelWarn, "call to next hop failed",
			slog.String("hop", s.cfg.ServiceType),
			slog.String("next", s.nextURL),
			slog.String("reason", failure.reason),
			slog.Int("status", failure.status),
			slog.String("error", failure.err.Error()),
			slog.String("request_id", id),
		)
	}
	return body, failure
}

func (s *Server) doCallNext(parent context.Context) ([]byte, *downstreamFailure) {
	ctx, cancel := context.WithTimeout(parent, s.cfg.DownstreamTimeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.nextURL, nil)
	if err != nil {
		return nil, &downstreamFailure{status: http.StatusBadGateway, reason: metrics.ReasonBadRequest,
			message: "cannot build request to next hop: " + err.Error(), err: err}
	}
	req.Header.Set("Accept", "application/json")
	s.propagator.Inject(ctx, propagation.HeaderCarrier(req.Header))

	resp, err := s.client.Do(req)
	if err != nil {
		return nil, s.classify(parent, err)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDownstreamBody+1))
	if err != nil {
		return nil, s.classify(parent, fmt.Errorf("read response: %w", err))
	}
	if len(body) > maxDownstreamBody {
		err := fmt.Errorf("response larger than %d bytes", maxDownstreamBody)
		return nil, &downstreamFailure{status: http.StatusBadGateway, reason: metrics.ReasonBadBody,
			message: "next hop's answer is too large", err: err}
	}
	if resp.StatusCode != http.StatusOK {
		f := &downstreamFailure{
			status:           http.StatusBadGateway,
			reason:           metrics.ReasonBadStatus,
			message:          fmt.Sprintf("next hop answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode)),
			downstreamStatus: resp.StatusCode,
			err:              fmt.Errorf("status %d", resp.StatusCode),
		}
		// A timeout further down stays a timeout at the head of the chain.
		if resp.StatusCode == http.StatusGatewayTimeout {
			f.status = http.StatusGatewayTimeout
		}
		if json.Valid(body) {
			f.downstreamBody = body
		}
		return nil, f
	}
	if !json.Valid(body) {
		err := errors.New("response is not valid JSON")
		return nil, &downstreamFailure{status: http.StatusBadGateway, reason: metrics.ReasonBadBody,
			message: "next hop's answer is not valid JSON", err: err}
	}
	return body, nil
}

// classify turns a transport error into a failure. parent is the incoming
// request's context: if it is done, our caller left and the error is a
// consequence, not the next hop's fault.
func (s *Server) classify(parent context.Context, err error) *downstreamFailure {
	switch {
	case parent.Err() != nil:
		return &downstreamFailure{status: statusClientClosedRequest, reason: metrics.ReasonCanceled,
			message: "request canceled by the caller", err: err}
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return &downstreamFailure{status: http.StatusGatewayTimeout, reason: metrics.ReasonTimeout,
			message: fmt.Sprintf("next hop did not answer within %s", s.cfg.DownstreamTimeout), err: err}
	default:
		return &downstreamFailure{status: http.StatusBadGateway, reason: metrics.ReasonUnreachable,
			message: "next hop unreachable: " + err.Error(), err: err}
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
