// Package app assembles the sample app from its parts (configuration,
// logging, tracing, metrics, server). main and the end-to-end tests use it,
// so both run the same wiring.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/config"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/metrics"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/server"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/tracing"
)

// flushTimeout bounds the final export of buffered spans at exit.
const flushTimeout = 5 * time.Second

// App is a configured, not yet serving, sample app.
type App struct {
	Config   config.Config
	Logger   *slog.Logger
	Tracing  tracing.Provider
	Metrics  *metrics.Metrics
	Server   *server.Server
	exporter bool
}

// New builds the app. Logs go to logOutput as JSON lines.
func New(ctx context.Context, cfg config.Config, logOutput io.Writer) (*App, error) {
	logger := NewLogger(logOutput, cfg.LogLevel)

	opts := tracing.Options{
		ServiceName: cfg.ServiceName,
		Attributes: []attribute.KeyValue{
			semconv.K8SNamespaceName(cfg.Namespace),
			attribute.String("sample_app.hop", cfg.ServiceType),
		},
	}
	if cfg.OTLPTracesURL != "" {
		exp, err := tracing.NewOTLPExporter(ctx, cfg.OTLPTracesURL)
		if err != nil {
			return nil, err
		}
		opts.Exporter = exp
	}
	tp := tracing.NewProvider(opts)
	m := metrics.New(cfg.ServiceType)
	srv, err := server.New(server.Deps{
		Config:         cfg,
		Logger:         logger,
		Metrics:        m,
		TracerProvider: tp,
		Propagator:     tracing.NewPropagator(),
	})
	if err != nil {
		_ = tp.Shutdown(ctx)
		return nil, err
	}
	return &App{Config: cfg, Logger: logger, Tracing: tp, Metrics: m, Server: srv, exporter: opts.Exporter != nil}, nil
}

// NewLogger returns the app's logger: JSON lines, with trace_id and span_id
// on records logged with a span in the context.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(tracing.NewLogHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
}

// Listen binds the configured addresses: PORT, and GRPC_PORT with
// TRANSPORT=grpc.
func (a *App) Listen() (server.Listeners, error) {
	var ls server.Listeners
	ln, err := net.Listen("tcp", a.Config.ListenAddr())
	if err != nil {
		return ls, fmt.Errorf("listen on %s: %w", a.Config.ListenAddr(), err)
	}
	ls.HTTP = ln
	if a.Config.Transport == config.TransportGRPC {
		gln, err := net.Listen("tcp", a.Config.GRPCListenAddr())
		if err != nil {
			_ = ln.Close()
			return server.Listeners{}, fmt.Errorf("listen on %s (GRPC_PORT): %w", a.Config.GRPCListenAddr(), err)
		}
		ls.GRPC = gln
	}
	return ls, nil
}

// Run serves on ls until ctx is cancelled, drains, then flushes spans.
func (a *App) Run(ctx context.Context, ls server.Listeners) error {
	a.Logger.Info("starting",
		slog.String("service_name", a.Config.ServiceName),
		slog.String("transport", string(a.Config.Transport)),
		slog.String("otlp_traces_url", a.Config.OTLPTracesURL),
		slog.Bool("exporting_traces", a.exporter))
	serveErr := a.Server.Serve(ctx, ls)

	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	if err := a.Tracing.Shutdown(flushCtx); err != nil {
		err = fmt.Errorf("flush traces: %w", err)
		a.Logger.Warn("shutdown", slog.String("error", err.Error()))
		return errors.Join(serveErr, err)
	}
	return serveErr
}
