package components

import (
	"fmt"

	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ChainTransport is how each hop of the chain calls the next one.
type ChainTransport string

// The accepted transports.
const (
	// ChainTransportHTTP is the tutorial's: plain HTTP between the hops,
	// which Envoy sidecars carry (mTLS, authorization, traces) where the
	// app namespace is injected.
	ChainTransportHTTP ChainTransport = "http"
	// ChainTransportGRPC is Istio's proxyless gRPC: each hop's pod is
	// injected with the grpc-agent template (pilot-agent alone, no Envoy)
	// and the hops' own gRPC-Go takes listeners, routes, clusters, mTLS
	// and authorization from istiod over xDS. Each hop still serves the
	// tutorial's HTTP API to callers outside the mesh.
	ChainTransportGRPC ChainTransport = "grpc"
)

// ChainTransports lists the accepted transports.
func ChainTransports() []ChainTransport {
	return []ChainTransport{ChainTransportHTTP, ChainTransportGRPC}
}

// ClusterDomain is the cluster's DNS domain. A proxyless client names its
// target by the Service's full name (xds:///<svc>.<ns>.svc.<domain>:<port>),
// the name istiod gives the listener it sends; every cluster the stack
// supports (minikube, the managed clouds, the sandbox) uses the default.
const ClusterDomain = "cluster.local"

// GRPCAgentTemplate is the injection template of Istio's proxyless gRPC:
// an istio-proxy container running pilot-agent alone (DISABLE_ENVOY),
// which fetches the workload's certificate from istiod and writes gRPC's
// xDS bootstrap for the application.
const GRPCAgentTemplate = "grpc-agent"

// validateTransport refuses a transport that is not one of ChainTransports
// and a gRPC port that collides with the HTTP one.
func (s SampleChainSpec) validateTransport() field.ErrorList {
	errs := rule.OneOf(field.NewPath("transport"), s.Transport, ChainTransports()...)
	errs = append(errs, rule.Port(field.NewPath("grpcPort"), s.GRPCPort)...)
	if s.GRPCPort == s.Port {
		errs = append(errs, rule.Refuse(field.NewPath("grpcPort"), s.GRPCPort, fmt.Sprintf("a port other than chain:port (%d): the hop serves HTTP and gRPC on separate ports", s.Port))...)
	}
	return errs
}

// ChainTransportRules refuses a gRPC chain in a mesh whose mTLS mode
// proxyless gRPC cannot serve: Istio's proxyless servers take STRICT or
// DISABLE, not PERMISSIVE (a listener that accepts both plaintext and mTLS
// needs Envoy's protocol sniffing). The paths are the chain spec's.
func ChainTransportRules(chain SampleChainSpec, mesh IstioMeshSpec) field.ErrorList {
	if chain.Transport != ChainTransportGRPC || mesh.MTLS == MTLSStrict {
		return nil
	}
	return rule.Refuse(field.NewPath("transport"), chain.Transport,
		fmt.Sprintf("%s while istio:mtls is %s (proxyless gRPC serves STRICT mTLS, not PERMISSIVE; set istio:mtls to %s or chain:transport to %s)",
			ChainTransportHTTP, mesh.MTLS, MTLSStrict, ChainTransportHTTP))
}

// injected reports whether the chain's pods get an istio-proxy container:
// Envoy by the app namespace's injection, or pilot-agent by the grpc
// transport's own opt-in.
func (s SampleChainSpec) injected(mesh IstioMeshSpec) bool {
	return mesh.SidecarInjection || s.Transport == ChainTransportGRPC
}

// hopGRPCTarget is the proxyless target of hop i's next hop: the xds
// resolver asks istiod for the listener of that Service name and port.
func hopGRPCTarget(s SampleChainSpec, next, namespace string) string {
	return fmt.Sprintf("xds:///%s.%s.svc.%s:%d", HopServiceName(next), namespace, ClusterDomain, s.GRPCPort)
}
