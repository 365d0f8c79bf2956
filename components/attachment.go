package components

import (
	"errors"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// MeshAttachment is everything an IstioMesh hands the components that run
// in it, as one value: where they run, what they wait for, who the ingress
// gateway is, which policies they register and where spans go. It is
// wiring, not user input: specs say what a user wants, the attachment
// says where it lands.
type MeshAttachment struct {
	// AppNamespace is the namespace workloads run in (an output: they wait
	// for the namespace to exist).
	AppNamespace pulumi.StringOutput
	// SystemNamespace is the mesh's root namespace (istio-system): the
	// control plane, the ingress gateway and the telemetry backends.
	SystemNamespace pulumi.StringOutput
	// IstioAPI is what Istio's custom resources wait for: the base release
	// (the CRDs) and istiod, whose validation webhook judges every create
	// and update of them, including the garbage collector's removal of a
	// deletion finalizer. Registered after istiod, they are also deleted
	// before it: a destroy never waits on a fail-closed webhook whose
	// server is gone. (The namespace alone when releases are not registered.)
	IstioAPI []pulumi.Resource
	// Injector is what pods of the app namespace wait for: istiod (its
	// injection webhook) and istio-cni (its node agent). Created before,
	// a pod would run without its sidecar. Empty when injection is off.
	Injector []pulumi.Resource
	// PodAnnotations go on the pods of every workload in the app namespace:
	// the istiod revision they are injected by, so that moving a revision
	// tag rolls them. Empty without revisions or injection.
	PodAnnotations map[string]string
	// Proxyless is how a proxyless gRPC pod asks istiod for the grpc-agent
	// injection; nil unless the mesh was told of proxyless workloads
	// (IstioMeshArgs.ProxylessGRPC).
	Proxyless *ProxylessInjection
	// Gateway is the ingress gateway, for Gateways and the policies that let it in.
	Gateway GatewayIdentity
	// Routes is what a Gateway API route to the ingress waits for: the
	// Gateway it attaches to (itself after the Gateway API's CRDs). Empty
	// with Istio's own ingress API, whose resources wait for IstioAPI.
	Routes []pulumi.Resource
	// Policy says which per-workload policies the namespace's defaults call for.
	Policy WorkloadPolicy
	// Collector is where spans go: the trace collector istiod's tracing
	// provider sends to, in the mesh's root namespace. Whether anything is
	// traced is the tracing spec's, which the stack hands each component.
	Collector Collector
}

// ProxylessInjection is what a proxyless gRPC pod carries for istiod to
// inject it (IstioMeshSpec.proxylessInjection).
type ProxylessInjection struct {
	// PodLabels opt the pod in where the namespace does not select
	// injection (empty where it does).
	PodLabels map[string]string
	// PodAnnotations stamp the pod with the revision that injects it, so
	// moving a revision tag rolls it (empty without revisions).
	PodAnnotations map[string]string
}

// GatewayIdentity is who the ingress gateway is.
type GatewayIdentity struct {
	// API is how routes reach it: an Istio Gateway selecting its pods, or a
	// Gateway API route attaching to the Gateway Name.
	API  IngressAPI
	Name string
	// Selector matches its pods, for a Gateway resource.
	Selector map[string]string
	// Namespace it runs in, for NetworkPolicies that let it in.
	Namespace string
	// Principal is its mTLS identity, for AuthorizationPolicies.
	Principal string
}

// WorkloadPolicy says which of the mesh's per-workload policies a workload
// registers for itself, on top of the namespace's defaults (IstioMesh).
type WorkloadPolicy struct {
	// Authorization registers the workload's ALLOW AuthorizationPolicy: the
	// namespace allows nothing else (IstioMesh's allow-nothing).
	Authorization bool
	// NetworkPolicies registers the workload's NetworkPolicy: the namespace
	// denies all other traffic (IstioMesh's default-deny).
	NetworkPolicies bool
	// Sidecars: the namespace's workloads run with Envoy sidecars
	// (istio:sidecarInjection), so a workload's own mTLS and authorization
	// policies have a proxy to enforce them. Without, a workload that does
	// not join the mesh by itself (proxyless hops do) registers none: they
	// would select no mesh workload (Istio's analyzer, IST0127) and
	// promise what nothing enforces. NetworkPolicies are the CNI's, and
	// stay.
	Sidecars bool
}

// check refuses an attachment missing what every workload needs; it is
// a wiring error (an attachment not made by IstioMesh), never user input.
func (m MeshAttachment) check() error {
	switch {
	case m.AppNamespace.OutputState == nil || m.SystemNamespace.OutputState == nil:
		return errors.New("the mesh attachment has no namespaces (use IstioMesh.Attachment)")
	case len(m.IstioAPI) == 0:
		return errors.New("the mesh attachment has no Istio API dependency (use IstioMesh.Attachment)")
	case len(m.Gateway.Selector) == 0 || m.Gateway.Namespace == "" || m.Gateway.Principal == "":
		return errors.New("the mesh attachment has no ingress gateway identity (use IstioMesh.Attachment)")
	case m.Gateway.API == IngressAPIGateway && (m.Gateway.Name == "" || len(m.Routes) == 0):
		return errors.New("the mesh attachment has a Gateway API ingress but no Gateway to attach routes to (use IstioMesh.Attachment)")
	}
	return nil
}
