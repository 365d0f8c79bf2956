package server

import (
	"context"
	"log/slog"
	"net"
	"sync/atomic"

	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/xds"
)

// xdsServingGate follows the serving mode of an xds.GRPCServer. Such a
// server accepts connections only while istiod has given it a usable
// Listener for its address (mode SERVING); before that (mode STARTING) and
// when the Listener is withdrawn or cannot be used (NOT_SERVING) it
// refuses them. Readiness follows the mode, so Kubernetes (and, through
// the endpoints, istiod) sends callers to the pod only while its gRPC port
// serves: the pod becomes Ready once its listener arrived.
type xdsServingGate struct {
	log     *slog.Logger
	serving atomic.Bool
}

func newXDSServingGate(log *slog.Logger) *xdsServingGate { return &xdsServingGate{log: log} }

// isServing reports whether the last mode reported was SERVING.
func (g *xdsServingGate) isServing() bool { return g.serving.Load() }

// onModeChange is the xds.ServingModeCallback. gRPC calls it on every
// change and it must not block; it records the mode and logs the change.
func (g *xdsServingGate) onModeChange(addr net.Addr, args xds.ServingModeChangeArgs) {
	serving := args.Mode == connectivity.ServingModeServing
	g.serving.Store(serving)
	attrs := []slog.Attr{
		slog.String("addr", addr.String()),
		slog.String("mode", args.Mode.String()),
	}
	level := slog.LevelInfo
	if !serving {
		level = slog.LevelWarn
		if args.Err != nil {
			attrs = append(attrs, slog.String("error", args.Err.Error()))
		}
	}
	g.log.LogAttrs(context.Background(), level, "gRPC xDS serving mode changed", attrs...)
}
