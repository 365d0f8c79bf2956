// Package server implements one hop of the A -> B -> C chain: the HTTP API,
// with TRANSPORT=grpc the Hop gRPC service beside it, the call to the next
// hop over either transport, and the lifecycle of both servers: timeouts,
// readiness and graceful drain on shutdown.
package server

import (
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/credentials"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/config"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/forward"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/metrics"
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
	// Propagator reads and writes trace context in HTTP headers and gRPC
	// metadata; nil uses tracing.NewPropagator().
	Propagator propagation.TextMapPropagator
	// Transport is the base transport to the next hop over HTTP (request
	// id handling is layered on top); nil uses NewDownstreamTransport().
	// TRANSPORT=grpc does not use it.
	Transport http.RoundTripper
	// GRPCCredentials secure the gRPC server and the call to the next hop
	// where no xDS bootstrap does (TRANSPORT=grpc without one, a NEXT
	// other than xds:///): mesh-like mTLS for benchmarks and tests, as
	// loadgen's -transport grpc-mtls. Nil is plaintext.
	GRPCCredentials *GRPCCredentials
}

// GRPCCredentials are a hop's two sides of gRPC's transport security.
type GRPCCredentials struct {
	Server, Client credentials.TransportCredentials
}

// Server is one hop of the chain.
type Server struct {
	cfg     config.Config
	log     *slog.Logger
	metrics *metrics.Metrics
	tracer  trace.Tracer

	// next calls the next hop over the configured transport; nil at the
	// end of the chain.
	next nextHop
	// nextName is NEXT as configured, reported in error answers; nextHost
	// is its host:port, a metrics label.
	nextName string
	nextHost string

	handler    http.Handler
	httpServer *http.Server
	// grpcServer serves the Hop service with TRANSPORT=grpc; nil otherwise.
	grpcServer grpcServer
	// xdsServing follows the serving mode of a gRPC server that takes its
	// listener from xDS, for readiness; nil without xDS.
	xdsServing *xdsServingGate
	// grpcCreds are Deps.GRPCCredentials.
	grpcCreds *GRPCCredentials
	// forward stores the headers FORWARD_HEADERS names from the requests
	// served, for the call to the next hop; nil when it names none.
	forward  *forward.Headers
	draining atomic.Bool
}

// instrumentation is what the OpenTelemetry handlers of both transports
// are built from.
type instrumentation struct {
	tracerProvider trace.TracerProvider
	propagator     propagation.TextMapPropagator
	meterProvider  metric.MeterProvider
}

// New wires a Server from its dependencies. With TRANSPORT=grpc it also
// builds the gRPC server and the client connection to the next hop (which
// connects lazily, on the first call); the errors come from those.
func New(d Deps) (*Server, error) {
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
		cfg:     d.Config,
		log:     d.Logger,
		metrics: d.Metrics,
		tracer:  d.TracerProvider.Tracer(instrumentationName),

		grpcCreds: d.GRPCCredentials,
	}
	if len(d.Config.ForwardHeaders) > 0 {
		s.forward = forward.New(d.Config.ForwardHeaders)
	}
	inst := instrumentation{
		tracerProvider: d.TracerProvider,
		propagator:     d.Propagator,
		// otelhttp and otelgrpc would otherwise fall back to OpenTelemetry's
		// global meter provider; the app's metrics come from Prometheus.
		meterProvider: metricnoop.NewMeterProvider(),
	}

	switch cfg := d.Config; {
	case cfg.Next != nil:
		s.next = newHTTPNextHop(cfg, d.Transport, d.Propagator)
		s.nextName, s.nextHost = cfg.Next.String(), cfg.Next.Host
	case cfg.NextGRPC != nil:
		next, err := newGRPCNextHop(*cfg.NextGRPC, cfg.DownstreamTimeout, d.GRPCCredentials, inst)
		if err != nil {
			return nil, err
		}
		s.next = next
		s.nextName, s.nextHost = cfg.NextGRPC.String(), cfg.NextGRPC.Endpoint
	}

	if d.Config.Transport == config.TransportGRPC {
		if d.Config.XDSBootstrapConfigured {
			s.xdsServing = newXDSServingGate(d.Logger)
		}
		gs, err := s.newGRPCServer(inst)
		if err != nil {
			if s.next != nil {
				s.next.close()
			}
			return nil, err
		}
		s.grpcServer = gs
	}

	s.handler = s.routes(inst)
	s.httpServer = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      d.Config.DownstreamTimeout + writeMargin,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(d.Logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Handler is the complete HTTP handler (routes and middleware), for tests
// and benchmarks that drive it without a listener.
func (s *Server) Handler() http.Handler { return s.handler }

// Ready reports whether the server accepts new work: false while
// draining, and, when the gRPC server takes its listener from xDS, while
// that listener is not serving.
func (s *Server) Ready() bool { return !s.draining.Load() && s.xdsServingOrUnused() }

// xdsServingOrUnused is false only while an xDS-managed gRPC listener is
// not serving (istiod has not sent it yet, or sent one it cannot use).
func (s *Server) xdsServingOrUnused() bool { return s.xdsServing == nil || s.xdsServing.isServing() }
