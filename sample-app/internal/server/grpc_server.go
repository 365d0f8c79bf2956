package server

import (
	"fmt"
	"net"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	xdscreds "google.golang.org/grpc/credentials/xds"
	"google.golang.org/grpc/xds"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/hoprpc"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/requestid"
)

// maxRPCRequestBytes bounds an incoming message: Hop/Service takes an
// empty one, so the limit only stops abusive clients. (gRPC's default is
// 4 MiB.)
const maxRPCRequestBytes = 4 << 10

// grpcServer is what the hop needs of grpc.Server and xds.GRPCServer.
type grpcServer interface {
	grpc.ServiceRegistrar
	Serve(net.Listener) error
	Stop()
	GracefulStop()
}

// newGRPCServer builds the gRPC server of TRANSPORT=grpc with the Hop
// service registered.
//
// With an xDS bootstrap (Istio's grpc-agent injection) it is an
// xds.GRPCServer: it accepts connections only once istiod sent the
// Listener for its address, and takes mTLS (PeerAuthentication) and
// authorization (AuthorizationPolicy, as RBAC) from it; the credentials
// fall back to plaintext where xDS configures no security. Its serving
// mode drives readiness (xdsServingGate).
//
// Without a bootstrap it is a plain, insecure grpc.Server for local runs
// and tests; the "serving" log line says which one runs.
func (s *Server) newGRPCServer(inst instrumentation) (grpcServer, error) {
	interceptors := []grpc.UnaryServerInterceptor{requestid.UnaryServerInterceptor}
	if s.forward != nil {
		interceptors = append(interceptors, s.forward.UnaryServerInterceptor)
	}
	interceptors = append(interceptors, s.annotateAndLogRPC)
	opts := []grpc.ServerOption{
		grpc.StatsHandler(otelgrpc.NewServerHandler(
			otelgrpc.WithTracerProvider(inst.tracerProvider),
			otelgrpc.WithPropagators(inst.propagator),
			otelgrpc.WithMeterProvider(inst.meterProvider),
		)),
		// A stats handler, not an interceptor, so that RPCs refused before
		// the method runs (xDS RBAC, unknown methods) are counted too.
		grpc.StatsHandler(newRPCMetricsHandler(s.metrics)),
		grpc.ChainUnaryInterceptor(interceptors...),
		grpc.MaxRecvMsgSize(maxRPCRequestBytes),
		// As maxHeaderBytes for HTTP: Envoy's limit for request headers.
		grpc.MaxHeaderListSize(maxHeaderBytes),
	}
	var gs grpcServer
	if s.xdsServing == nil {
		creds := insecure.NewCredentials()
		if s.grpcCreds != nil {
			creds = s.grpcCreds.Server
		}
		gs = grpc.NewServer(append(opts, grpc.Creds(creds))...)
	} else {
		creds, err := xdscreds.NewServerCredentials(xdscreds.ServerOptions{FallbackCreds: insecure.NewCredentials()})
		if err != nil {
			return nil, fmt.Errorf("xDS server credentials: %w", err)
		}
		xs, err := xds.NewGRPCServer(append(opts,
			grpc.Creds(creds),
			xds.ServingModeCallback(s.xdsServing.onModeChange),
		)...)
		if err != nil {
			return nil, fmt.Errorf("xDS gRPC server (GRPC_XDS_BOOTSTRAP or GRPC_XDS_BOOTSTRAP_CONFIG is set): %w", err)
		}
		gs = xs
	}
	hoprpc.RegisterHopServer(gs, hopService{s: s})
	return gs, nil
}

// grpcServerKind describes the gRPC server for the start log line.
func (s *Server) grpcServerKind() string {
	if s.xdsServing != nil {
		return "xds: listener, mTLS and authorization from the control plane; ready once its listener serves"
	}
	if s.grpcCreds != nil {
		return "gRPC with the credentials it was given: no xDS bootstrap (GRPC_XDS_BOOTSTRAP, GRPC_XDS_BOOTSTRAP_CONFIG unset)"
	}
	return "plain insecure gRPC: no xDS bootstrap (GRPC_XDS_BOOTSTRAP, GRPC_XDS_BOOTSTRAP_CONFIG unset)"
}
