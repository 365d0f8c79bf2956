package components

import (
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	securityv1 "istio.io/api/security/v1"
)

// Ports the app namespace's baseline NetworkPolicy opens for every pod.
const (
	// dnsPort is the cluster DNS.
	dnsPort = 53
	// istiodXDSPort is istiod's xDS and certificate service, which every sidecar dials.
	istiodXDSPort = 15012
	// sidecarMetricsPort is the sidecar agent's merged Prometheus endpoint
	// and envoyStatsPort Envoy's own; Prometheus scrapes them, outside mTLS.
	sidecarMetricsPort = 15020
	envoyStatsPort     = 15090
)

// meshSecurity is the mesh-wide security defaults as registered: the mTLS
// mode, and in the app namespace the default-deny AuthorizationPolicy (nil
// without istio:authorization) and NetworkPolicies (none without
// istio:networkPolicies).
type meshSecurity struct {
	peerAuthentication *apiextensions.CustomResource
	allowNothing       *apiextensions.CustomResource
	networkPolicies    []*networkingv1.NetworkPolicy
}

// newSecurityPolicies registers the mesh-wide mTLS mode and, in the app
// namespace, the default-deny AuthorizationPolicy and NetworkPolicies that
// workloads open up with their own ALLOW rules. The Istio resources wait
// for istioAPI; the baseline lets the sidecars reach the collector.
func newSecurityPolicies(ctx *pulumi.Context, s IstioMeshSpec, ns meshNamespaces, istioAPI []pulumi.Resource, collector Collector, proxyless bool, parent pulumi.ResourceOption) (meshSecurity, error) {
	afterIstioAPI := pulumi.DependsOn(istioAPI)
	var out meshSecurity
	var err error
	// In the root namespace (istiod's), a PeerAuthentication is mesh-wide.
	out.peerAuthentication, err = peerAuthentication(ctx, "mesh-mtls", "default", ns.systemName(), nil, s.MTLS, parent, afterIstioAPI)
	if err != nil {
		return meshSecurity{}, err
	}
	appNS := ns.appName()
	if s.Authorization {
		// An ALLOW policy with no rules matches nothing: with it, a request
		// is allowed only when another policy allows it.
		out.allowNothing, err = newIstioResource(ctx, "allow-nothing", istioResource{
			apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", name: AllowNothingPolicy, namespace: appNS,
			spec: allowNothingSpec(proxyless),
		}, parent, afterIstioAPI)
		if err != nil {
			return meshSecurity{}, err
		}
	}
	if !s.NetworkPolicies {
		return out, nil
	}
	both := []string{"Ingress", "Egress"}
	deny, err := networkPolicy(ctx, DefaultDenyPolicy, DefaultDenyPolicy, appNS, nil, nil, nil, both, parent)
	if err != nil {
		return meshSecurity{}, err
	}
	// Sidecars send spans to the collector; apps export to its OTLP/HTTP port.
	egressToMesh := []int{istiodXDSPort, collector.GRPCPort, collector.HTTPPort}
	baseline, err := networkPolicy(ctx, MeshBaselinePolicy, MeshBaselinePolicy, appNS, nil,
		[]flow{{peers: []peer{{namespace: s.Namespace}}, ports: []int{sidecarMetricsPort, envoyStatsPort}}},
		[]flow{
			{peers: []peer{{namespace: "kube-system"}}, ports: []int{dnsPort}, udp: true},
			{peers: []peer{{namespace: s.Namespace}}, ports: egressToMesh},
		}, both, parent)
	if err != nil {
		return meshSecurity{}, err
	}
	out.networkPolicies = []*networkingv1.NetworkPolicy{deny, baseline}
	return out, nil
}

// NobodyPrincipal is an mTLS identity no workload can hold: "-" is no
// valid namespace or ServiceAccount name, so istiod's CA never issues it.
var NobodyPrincipal = Principal("-", "-")

// allowNothingSpec is the app namespace's default deny: an ALLOW policy
// that matches no request, so that a request is allowed only when another
// ALLOW policy allows it. Envoy reads Istio's usual form, an ALLOW without
// rules, that way. istiod's proxyless gRPC generator does not: it builds
// RBAC from rules only and sends none for an ALLOW without any
// (pilot/pkg/networking/grpcgen, buildRBAC), so a proxyless workload whose
// own ALLOW is gone would admit everyone. With proxyless workloads the
// policy therefore carries one rule that no caller can match (from
// NobodyPrincipal), which both data planes enforce as "allow nothing".
func allowNothingSpec(proxyless bool) *securityv1.AuthorizationPolicy {
	spec := &securityv1.AuthorizationPolicy{Action: securityv1.AuthorizationPolicy_ALLOW}
	if proxyless {
		spec.Rules = []*securityv1.Rule{{From: []*securityv1.Rule_From{{Source: &securityv1.Source{Principals: []string{NobodyPrincipal}}}}}}
	}
	return spec
}

// The names of the app namespace's default policies: no workload may take them.
const (
	AllowNothingPolicy = "allow-nothing"
	DefaultDenyPolicy  = "default-deny"
	MeshBaselinePolicy = "mesh-baseline"
)
