package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/propagation"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/config"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/forward"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/metrics"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/requestid"
)

// httpNextHop calls NEXT/service over HTTP (TRANSPORT=http).
//
// The call carries the trace context (the propagator's headers) but has
// no span of its own: the next hop's server span is the call's child, and
// inside the mesh both sidecars record the call as client and server
// spans, so an HTTP client span here would repeat the caller's sidecar
// span; it was a third of the spans of every chain request, and tracing's
// cost is per span. (The gRPC transport has no sidecar, so its calls get
// a client span: see grpcNextHop.)
type httpNextHop struct {
	client     *http.Client
	url        string // NEXT + "/service"
	timeout    time.Duration
	propagator propagation.TextMapPropagator
	// closeIdleConnections closes the pooled connections to the next hop.
	closeIdleConnections func()
}

func newHTTPNextHop(cfg config.Config, transport http.RoundTripper, prop propagation.TextMapPropagator) *httpNextHop {
	h := &httpNextHop{
		url:        cfg.NextServiceURL(),
		timeout:    cfg.DownstreamTimeout,
		propagator: prop,
		client: &http.Client{
			// forward's Transport sets only what the server side stored,
			// which it does only with FORWARD_HEADERS set.
			Transport: forward.NewTransport(requestid.NewTransport(transport)),
			// A redirect from the next hop is a wrong answer, not
			// something to follow.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	// Keep the base transport to reach its pool directly, whatever the
	// wrappers above pass on.
	if c, ok := transport.(interface{ CloseIdleConnections() }); ok {
		h.closeIdleConnections = c.CloseIdleConnections
	} else {
		h.closeIdleConnections = func() {}
	}
	return h
}

// NewDownstreamTransport returns the transport used to call the next hop.
// Unlike http.DefaultTransport it keeps enough idle connections per host for
// a busy chain (the default of 2 forces a new TCP connection per request
// under load) and ignores HTTP(S)_PROXY: the next hop is reached directly,
// or through the Istio sidecar, which intercepts transparently.
func NewDownstreamTransport() *http.Transport {
	return &http.Transport{
		Proxy: nil,
		DialContext: (&net.Dialer{
			Timeout:   config.DefaultDownstreamTimeout,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

func (h *httpNextHop) endpoint() string { return h.url }

func (h *httpNextHop) close() { h.closeIdleConnections() }

func (h *httpNextHop) call(parent context.Context) ([]byte, *downstreamFailure) {
	ctx, cancel := context.WithTimeout(parent, h.timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url, nil)
	if err != nil {
		return nil, &downstreamFailure{status: http.StatusBadGateway, reason: metrics.ReasonBadRequest,
			message: "cannot build request to next hop: " + err.Error(), err: err}
	}
	req.Header.Set("Accept", "application/json")
	h.propagator.Inject(ctx, propagation.HeaderCarrier(req.Header))

	resp, err := h.client.Do(req)
	if err != nil {
		return nil, classifyTransportError(parent, err, h.timeout)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDownstreamBody+1))
	if err != nil {
		return nil, classifyTransportError(parent, fmt.Errorf("read response: %w", err), h.timeout)
	}
	if len(body) > maxDownstreamBody {
		return nil, answerTooLarge()
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
		return nil, answerNotJSON()
	}
	return body, nil
}

func answerTooLarge() *downstreamFailure {
	return &downstreamFailure{status: http.StatusBadGateway, reason: metrics.ReasonBadBody,
		message: "next hop's answer is too large", err: fmt.Errorf("response larger than %d bytes", maxDownstreamBody)}
}

func answerNotJSON() *downstreamFailure {
	return &downstreamFailure{status: http.StatusBadGateway, reason: metrics.ReasonBadBody,
		message: "next hop's answer is not valid JSON", err: errors.New("response is not valid JSON")}
}
