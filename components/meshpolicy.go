package components

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	securityv1 "istio.io/api/security/v1"
	typev1beta1 "istio.io/api/type/v1beta1"
)

// TrustDomain is the mesh's SPIFFE trust domain, set explicitly in
// meshConfig so the principals below cannot drift from it.
const TrustDomain = "cluster.local"

// Principal is the mTLS identity of a workload's ServiceAccount, what an
// AuthorizationPolicy's `from.source.principals` matches.
func Principal(namespace, serviceAccount string) string {
	return fmt.Sprintf("%s/ns/%s/sa/%s", TrustDomain, namespace, serviceAccount)
}

// MTLSMode is the mesh-wide PeerAuthentication mode.
type MTLSMode string

// The accepted mTLS modes.
const (
	// MTLSStrict accepts only mutual TLS between sidecars.
	MTLSStrict MTLSMode = "STRICT"
	// MTLSPermissive also accepts plain text (migrations, clients outside the mesh).
	MTLSPermissive MTLSMode = "PERMISSIVE"
)

// MTLSModes lists the accepted modes.
func MTLSModes() []MTLSMode { return []MTLSMode{MTLSStrict, MTLSPermissive} }

func (m MTLSMode) proto() securityv1.PeerAuthentication_MutualTLS_Mode {
	if m == MTLSPermissive {
		return securityv1.PeerAuthentication_MutualTLS_PERMISSIVE
	}
	return securityv1.PeerAuthentication_MutualTLS_STRICT
}

// peerAuthentication is a PeerAuthentication; an empty selector makes it
// namespace-wide (mesh-wide in the root namespace).
func peerAuthentication(ctx *pulumi.Context, resourceName, name string, namespace pulumi.StringInput, selector map[string]string, mode MTLSMode, opts ...pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	spec := &securityv1.PeerAuthentication{Mtls: &securityv1.PeerAuthentication_MutualTLS{Mode: mode.proto()}}
	if len(selector) > 0 {
		spec.Selector = &typev1beta1.WorkloadSelector{MatchLabels: selector}
	}
	return newIstioResource(ctx, resourceName, istioResource{
		apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", name: name, namespace: namespace, spec: spec,
	}, opts...)
}

// allowFrom is an ALLOW AuthorizationPolicy for the pods of selector: requests
// from the given principals (any caller when none) to the given ports.
func allowFrom(ctx *pulumi.Context, resourceName, name string, namespace pulumi.StringInput, selector map[string]string, principals []string, ports []int, opts ...pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	return newIstioResource(ctx, resourceName, istioResource{
		apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", name: name, namespace: namespace,
		spec: allowSpec(selector, principals, ports),
	}, opts...)
}

func allowSpec(selector map[string]string, principals []string, ports []int) *securityv1.AuthorizationPolicy {
	rule := &securityv1.Rule{}
	if len(principals) > 0 {
		rule.From = []*securityv1.Rule_From{{Source: &securityv1.Source{Principals: principals}}}
	}
	if len(ports) > 0 {
		var ps []string
		for _, p := range ports {
			ps = append(ps, fmt.Sprint(p))
		}
		rule.To = []*securityv1.Rule_To{{Operation: &securityv1.Operation{Ports: ps}}}
	}
	return &securityv1.AuthorizationPolicy{
		Selector: &typev1beta1.WorkloadSelector{MatchLabels: selector},
		Action:   securityv1.AuthorizationPolicy_ALLOW,
		Rules:    []*securityv1.Rule{rule},
	}
}

// peer is one side of a NetworkPolicy rule: pods by labels, in a namespace
// by name (empty: the policy's own namespace).
type peer struct {
	namespace string
	labels    map[string]string
}

func (p peer) args() networkingv1.NetworkPolicyPeerArgs {
	out := networkingv1.NetworkPolicyPeerArgs{}
	if len(p.labels) > 0 {
		out.PodSelector = &metav1.LabelSelectorArgs{MatchLabels: stringMap(p.labels)}
	}
	if p.namespace != "" {
		out.NamespaceSelector = &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{
			"kubernetes.io/metadata.name": pulumi.String(p.namespace),
		}}
		if out.PodSelector == nil {
			out.PodSelector = &metav1.LabelSelectorArgs{}
		}
	}
	return out
}

// flow is traffic a NetworkPolicy lets through: from or to peers (anyone
// when there are none) on TCP ports (any port when there are none).
type flow struct {
	peers []peer
	ports []int
	udp   bool
}

func (f flow) peerArgs() networkingv1.NetworkPolicyPeerArray {
	var out networkingv1.NetworkPolicyPeerArray
	for _, p := range f.peers {
		out = append(out, p.args())
	}
	return out
}

func (f flow) portArgs() networkingv1.NetworkPolicyPortArray {
	var out networkingv1.NetworkPolicyPortArray
	for _, p := range f.ports {
		out = append(out, networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("TCP"), Port: pulumi.Int(p)})
		if f.udp {
			out = append(out, networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("UDP"), Port: pulumi.Int(p)})
		}
	}
	return out
}

// networkPolicy selects pods by labels (all pods when none) and allows the
// given ingress and egress flows. Listing a direction in policyTypes with no
// flows denies it.
func networkPolicy(ctx *pulumi.Context, resourceName, name string, namespace pulumi.StringInput, selector map[string]string, ingress, egress []flow, types []string, opts ...pulumi.ResourceOption) (*networkingv1.NetworkPolicy, error) {
	var in networkingv1.NetworkPolicyIngressRuleArray
	for _, f := range ingress {
		in = append(in, networkingv1.NetworkPolicyIngressRuleArgs{From: f.peerArgs(), Ports: f.portArgs()})
	}
	var out networkingv1.NetworkPolicyEgressRuleArray
	for _, f := range egress {
		out = append(out, networkingv1.NetworkPolicyEgressRuleArgs{To: f.peerArgs(), Ports: f.portArgs()})
	}
	return networkingv1.NewNetworkPolicy(ctx, resourceName, &networkingv1.NetworkPolicyArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String(name), Namespace: namespace},
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: stringMap(selector)},
			PolicyTypes: pulumi.ToStringArray(types),
			Ingress:     in,
			Egress:      out,
		},
	}, opts...)
}
