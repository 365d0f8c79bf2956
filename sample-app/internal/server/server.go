// Package server implements the sample app's HTTP API (one hop of the
// A -> B -> C chain) and the http.Server lifecycle around it: timeouts,
// readiness and graceful drain on shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/config"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/metrics"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/requestid"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/tracing"
)

// instrumentationName names the tracer of the app's own (non-HTTP) spans.
const instrumentationName = "github.com/play-kubernetes/play-kubernetes/sample-app"

// HTTP server limits. Requests are tiny GETs; the limits only need to stop
// slow or abusive clients from holding resources.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	// idleTimeout is above Envoy's default upstream idle timeout (1 h): if
	// the app closed a kept-alive connection first, a request the sidecar
	// sends on it at that moment would fail with a reset (503 "UC").
	idleTimeout = 65 * time.Minute
	// maxHeaderBytes matches Envoy's default limit of 60 KiB for request
	// headers; larger requests get 431 from net/http.
	maxHeaderBytes = 64 << 10
	// writeMargin is added to the downstream timeout to form WriteTimeout,
	// so a downstream timeout is always reported (504) before the server
	// would cut the connection.
	writeMargin = 5 * time.Second
)

// Deps are the server's collaborators. Only Config is required; the rest
// default to production choices when nil.
type Deps struct {
	Config config.Config
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Metrics records request and downstream metrics; nil creates a fresh set.
	Metrics *metrics.Metrics
	// TracerProvider creates the server and app spans; nil gives a
	// propagation-only provider.
	TracerProvider trace.TracerProvider
	// Propagator reads and writes trace context headers; nil uses
	// tracing.NewPropagator().
	Propagator propagation.TextMapPropagator
	// Transport is the base transport to the next hop (request id handling
	// is layered on top); nil uses NewDownstreamTransport().
	Transport http.RoundTripper
}

// Server is one hop of the chain.
type Server struct {
	cfg     config.Config
	log     *slog.Logger
	metrics *metrics.Metrics
	tracer  trace.Tracer
	// propagator writes the trace context on the call to the next hop.
	propagator propagation.TextMapPropagator
	client     *http.Client
	// closeIdleConnections closes the pooled connections to the next hop.
	closeIdleConnections func()

	// Precomputed from cfg: used on every /service call.
	nextURL  string // NEXT + "/service"
	nextBase string // NEXT as configured, reported in errors
	nextHost string // NEXT's host:port, a metrics label

	handler    http.Handler
	httpServer *http.Server
	draining   atomic.Bool
}

// New wires a Server from its dependencies.
func New(d Deps) *Server {
	// A Config built by hand (not by config.FromEnv) may leave durations at
	// zero; a zero downstream timeout would fail every call at once.
	if d.Config.DownstreamTimeout <= 0 {
		d.Config.DownstreamTimeout = config.DefaultDownstreamTimeout
	}
	if d.Config.ShutdownTimeout <= 0 {
		d.Config.ShutdownTimeout = config.DefaultShutdownTimeout
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if d.Metrics == nil {
		d.Metrics = metrics.New(d.Config.ServiceType)
	}
	if d.TracerProvider == nil {
		d.TracerProvider = tracing.NewPropagationOnlyProvider()
	}
	if d.Propagator == nil {
		d.Propagator = tracing.NewPropagator()
	}
	if d.Transport == nil {
		d.Transport = NewDownstreamTransport()
	}
	s := &Server{
		cfg:        d.Config,
		log:        d.Logger,
		metrics:    d.Metrics,
		tracer:     d.TracerProvider.Tracer(instrumentationName),
		propagator: d.Propagator,
	}
	if next := d.Config.Next; next != nil {
		s.nextURL = d.Config.NextServiceURL()
		s.nextBase = next.String()
		s.nextHost = next.Host
	}
	// otelhttp would otherwise fall back to OpenTelemetry's global meter
	// provider; the app's metrics come from Prometheus instead.
	meterProvider := metricnoop.NewMeterProvider()
	// requestid's Transport does not pass CloseIdleConnections on, so keep
	// the base transport to reach its pool directly.
	if c, ok := d.Transport.(interface{ CloseIdleConnections() }); ok {
		s.closeIdleConnections = c.CloseIdleConnections
	} else {
		s.closeIdleConnections = func() {}
	}
	s.client = &http.Client{
		Transport: requestid.NewTransport(d.Transport),
		// A redirect from the next hop is a wrong answer, not something
		// to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	s.handler = s.routes(d.TracerProvider, d.Propagator, meterProvider)
	s.httpServer = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      d.Config.DownstreamTimeout + writeMargin,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(d.Logger.Handler(), slog.LevelWarn),
	}
	return s
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

// Handler is the complete HTTP handler (routes and middleware), for tests
// and benchmarks that drive it without a listener.
func (s *Server) Handler() http.Handler { return s.handler }

// Ready reports whether the server accepts new work (false while draining).
func (s *Server) Ready() bool { return !s.draining.Load() }

// Serve serves on ln until ctx is cancelled, then shuts down gracefully:
//
//  1. /readyz turns 503 and keep-alives are disabled, while the listener
//     stays open for Config.DrainDelay so Kubernetes can take the pod out
//     of its Service endpoints before new connections would be refused;
//  2. the listener closes and in-flight requests get up to
//     Config.ShutdownTimeout to finish;
//  3. connections still open after that are closed and an error returned.
//
// Serve returns nil after a clean shutdown. It closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	serveErr := make(chan error, 1)
	go func() { serveErr <- s.httpServer.Serve(ln) }()
	s.log.Info("serving",
		slog.String("addr", ln.Addr().String()),
		slog.String("hop", s.cfg.ServiceType),
		slog.String("next", s.nextBase),
		slog.String("dns_name", s.cfg.DNSName()),
	)

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}

	s.draining.Store(true)
	s.httpServer.SetKeepAlivesEnabled(false)
	s.log.Info("shutdown requested: draining",
		slog.String("drain_delay", s.cfg.DrainDelay.String()),
		slog.String("shutdown_timeout", s.cfg.ShutdownTimeout.String()))
	if s.cfg.DrainDelay > 0 {
		timer := time.NewTimer(s.cfg.DrainDelay)
		select {
		case <-timer.C:
		case err := <-serveErr:
			timer.Stop()
			return fmt.Errorf("serve %s: %w", ln.Addr(), err)
		}
	}

	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	// Pooled connections to the next hop are closed once no request can use
	// them any more. Left open, a connection the pool dialled but never used
	// would hold up the next hop's own shutdown: net/http waits 5 s before
	// treating such a connection as idle.
	defer s.closeIdleConnections()
	if err := s.httpServer.Shutdown(shutdownCtx); err != nil {
		_ = s.httpServer.Close()
		<-serveErr
		return fmt.Errorf("graceful shutdown did not finish within %s; remaining connections closed: %w",
			s.cfg.ShutdownTimeout, err)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	s.log.Info("shutdown complete")
	return nil
}
