package components

import (
	"fmt"
	"slices"

	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// SidecarPorts are the ports Istio's sidecar (Envoy and its agent) listens
// on in every injected pod, as Istio's "Ports used by Istio" lists them:
// admin, outbound, debug, inbound, the HBONE tunnel and secure network,
// merged metrics, health, DNS capture and Envoy's metrics. A container of
// the pod cannot bind them, and traffic to them is the sidecar's, not the
// application's.
var SidecarPorts = []int{15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090}

// SidecarUID is the user the sidecar runs as: Istio's traffic redirection
// lets its traffic (and its group's) bypass the proxy, so an application
// running as it would leave the mesh unnoticed.
const SidecarUID = 1337

// WebServerSidecarRules refuses, while the app namespace is injected, web
// server ports and a user that its pods' sidecar holds. The paths are the
// web server spec's.
func WebServerSidecarRules(web WebServerSpec, mesh IstioMeshSpec) field.ErrorList {
	if !mesh.SidecarInjection {
		return nil
	}
	const why = "while istio:sidecarInjection is true"
	errs := sidecarPortRule(field.NewPath("containerPort"), web.ContainerPort, why)
	if web.Service.Enabled {
		errs = append(errs, sidecarPortRule(field.NewPath("service", "port"), web.Service.Port, why)...)
	}
	if web.RunAsUser == SidecarUID {
		errs = append(errs, rule.Refuse(field.NewPath("runAsUser"), web.RunAsUser,
			fmt.Sprintf("a user other than %d while istio:sidecarInjection is true (the sidecar's user, and group: its traffic bypasses the proxy)", SidecarUID))...)
	}
	return errs
}

// ChainSidecarRules refuses, while the hops' pods are injected (the app
// namespace's Envoy sidecars, or pilot-agent with chain:transport grpc), a
// chain port (each hop's container and Service ports) that the injected
// container holds. The paths are the chain spec's.
func ChainSidecarRules(chain SampleChainSpec, mesh IstioMeshSpec) field.ErrorList {
	if !chain.injected(mesh) {
		return nil
	}
	const why = "while istio:sidecarInjection is true or chain:transport is grpc"
	errs := sidecarPortRule(field.NewPath("port"), chain.Port, why)
	if chain.Transport == ChainTransportGRPC {
		errs = append(errs, sidecarPortRule(field.NewPath("grpcPort"), chain.GRPCPort, why)...)
	}
	return errs
}

// sidecarPortRule refuses one of SidecarPorts as a workload's port; when
// says under which settings.
func sidecarPortRule(at *field.Path, port int, when string) field.ErrorList {
	if !slices.Contains(SidecarPorts, port) {
		return nil
	}
	return rule.Refuse(at, port, fmt.Sprintf("a port other than Istio's sidecar ports %s %s (the sidecar listens on them in every pod)", joinInts(SidecarPorts), when))
}

// joinInts lists numbers for a message: "1, 2, 3".
func joinInts(ns []int) string {
	s := ""
	for i, n := range ns {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(n)
	}
	return s
}
