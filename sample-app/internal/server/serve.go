package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"google.golang.org/grpc"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/config"
)

// Listeners are the sockets a hop serves on.
type Listeners struct {
	// HTTP serves the HTTP API; always required.
	HTTP net.Listener
	// GRPC serves the Hop service: required with TRANSPORT=grpc, and must
	// be nil with TRANSPORT=http.
	GRPC net.Listener
}

// Close closes the listeners that are set.
func (l Listeners) Close() {
	for _, ln := range []net.Listener{l.HTTP, l.GRPC} {
		if ln != nil {
			_ = ln.Close()
		}
	}
}

// Serve serves on ls until ctx is cancelled, then shuts down gracefully:
//
//  1. /readyz turns 503 and HTTP keep-alives are disabled, while both
//     listeners stay open for Config.DrainDelay so Kubernetes (and, for
//     gRPC clients, istiod's endpoint updates) can take the pod out of
//     rotation before new connections would be refused;
//  2. the listeners close and in-flight HTTP requests and RPCs get up to
//     Config.ShutdownTimeout, together, to finish;
//  3. what is still open after that is closed (RPCs are cancelled) and an
//     error returned.
//
// The connections to the next hop are closed last, once no request can
// use them. Serve returns nil after a clean shutdown. It closes ls.
func (s *Server) Serve(ctx context.Context, ls Listeners) error {
	if ls.HTTP == nil || (ls.GRPC != nil) != (s.grpcServer != nil) {
		ls.Close()
		s.closeNext()
		return fmt.Errorf("serve: TRANSPORT=%s needs an HTTP listener and %s", s.cfg.Transport, grpcListenerWanted(s.cfg.Transport))
	}
	httpDone := make(chan error, 1)
	go func() { httpDone <- s.httpServer.Serve(ls.HTTP) }()
	grpcDone := make(chan error, 1)
	if s.grpcServer != nil {
		go func() { grpcDone <- s.grpcServer.Serve(ls.GRPC) }()
	}
	s.logServing(ls)

	select {
	case err := <-httpDone:
		s.stopNow(ls)
		return fmt.Errorf("serve %s: %w", ls.HTTP.Addr(), err)
	case err := <-grpcDone:
		s.stopNow(ls)
		return fmt.Errorf("serve gRPC %s: %w", ls.GRPC.Addr(), err)
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
		case err := <-httpDone:
			timer.Stop()
			s.stopNow(ls)
			return fmt.Errorf("serve %s: %w", ls.HTTP.Addr(), err)
		case err := <-grpcDone:
			timer.Stop()
			s.stopNow(ls)
			return fmt.Errorf("serve gRPC %s: %w", ls.GRPC.Addr(), err)
		}
	}

	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	// Pooled connections to the next hop are closed once no request can use
	// them any more. Left open, a connection the HTTP pool dialled but never
	// used would hold up the next hop's own shutdown: net/http waits 5 s
	// before treating such a connection as idle.
	defer s.closeNext()

	waitGRPC := s.stopGRPCGracefully(shutdownCtx)
	var errs []error
	if err := s.httpServer.Shutdown(shutdownCtx); err != nil {
		_ = s.httpServer.Close()
		errs = append(errs, fmt.Errorf("graceful shutdown did not finish within %s; remaining connections closed: %w",
			s.cfg.ShutdownTimeout, err))
	}
	if err := waitGRPC(); err != nil {
		errs = append(errs, err)
	}
	if err := <-httpDone; !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("serve %s: %w", ls.HTTP.Addr(), err))
	}
	if s.grpcServer != nil {
		// Serve returns nil after a stop, or ErrServerStopped when the stop
		// came first (a cancel right at start); it then may not have
		// closed the listener.
		if err := <-grpcDone; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			errs = append(errs, fmt.Errorf("serve gRPC %s: %w", ls.GRPC.Addr(), err))
		}
		_ = ls.GRPC.Close()
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	s.log.Info("shutdown complete")
	return nil
}

// stopGRPCGracefully starts the gRPC server's graceful stop (GOAWAY, then
// waiting for in-flight RPCs) beside the HTTP server's shutdown, so both
// share one SHUTDOWN_TIMEOUT. The returned function waits for it; when ctx
// ends first it stops the server hard (in-flight RPCs are cancelled) and
// reports that.
func (s *Server) stopGRPCGracefully(ctx context.Context) (wait func() error) {
	if s.grpcServer == nil {
		return func() error { return nil }
	}
	stopped := make(chan struct{})
	go func() {
		s.grpcServer.GracefulStop()
		close(stopped)
	}()
	return func() error {
		select {
		case <-stopped:
			return nil
		case <-ctx.Done():
			s.grpcServer.Stop() // GracefulStop returns once Stop closed everything.
			<-stopped
			return fmt.Errorf("gRPC graceful stop did not finish within %s; remaining RPCs cancelled", s.cfg.ShutdownTimeout)
		}
	}
}

// stopNow closes both servers at once, after one of them failed.
func (s *Server) stopNow(ls Listeners) {
	_ = s.httpServer.Close()
	if s.grpcServer != nil {
		s.grpcServer.Stop()
	}
	ls.Close()
	s.closeNext()
}

func (s *Server) closeNext() {
	if s.next != nil {
		s.next.close()
	}
}

func (s *Server) logServing(ls Listeners) {
	attrs := []slog.Attr{
		slog.String("addr", ls.HTTP.Addr().String()),
		slog.String("hop", s.cfg.ServiceType),
		slog.String("transport", string(s.cfg.Transport)),
		slog.String("next", s.nextName),
		slog.String("dns_name", s.cfg.DNSName()),
	}
	if ls.GRPC != nil {
		attrs = append(attrs,
			slog.String("grpc_addr", ls.GRPC.Addr().String()),
			slog.String("grpc_server", s.grpcServerKind()))
	}
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "serving", attrs...)
}

func grpcListenerWanted(t config.Transport) string {
	if t == config.TransportGRPC {
		return "a gRPC listener"
	}
	return "no gRPC listener"
}
