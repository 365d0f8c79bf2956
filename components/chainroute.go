package components

import (
	"fmt"

	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	networkingv1 "istio.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// anyHost is gatewayHosts' "every host": Istio's Gateway takes it as is,
// a Gateway API route says it by listing no hostnames.
const anyHost = "*"

// GatewayHostRules refuses gateway hosts the ingress API cannot route. A
// Gateway API hostname is a DNS name, or one with a leading "*." label;
// Istio's Gateway also takes "*" and its namespace/host forms. The paths
// are the chain spec's.
func GatewayHostRules(hosts []string, api IngressAPI) field.ErrorList {
	if api != IngressAPIGateway {
		return nil
	}
	var errs field.ErrorList
	for i, h := range hosts {
		if h == anyHost || len(validation.IsDNS1123Subdomain(h)) == 0 || len(validation.IsWildcardDNS1123Subdomain(h)) == 0 {
			continue
		}
		errs = append(errs, rule.Refuse(field.NewPath("gatewayHosts").Index(i), h,
			`"*", a DNS name or "*.<DNS name>" when istio:ingress.api is gateway-api (a Gateway API hostname)`)...)
	}
	return errs
}

// chainRoute is the route from the ingress to the first hop as
// registered: Istio's Gateway and VirtualService, or the Gateway API's
// HTTPRoute (the others nil).
type chainRoute struct {
	gateway, virtualService *apiextensions.CustomResource
	httpRoute               *apiextensions.CustomResource
}

// newChainRoute registers the route from the ingress to the first hop, in
// the ingress API the mesh was installed with.
func newChainRoute(ctx *pulumi.Context, s SampleChainSpec, mesh MeshAttachment, parent pulumi.ResourceOption) (chainRoute, error) {
	if mesh.Gateway.API == IngressAPIGateway {
		return newHTTPRoute(ctx, s, mesh, parent)
	}
	return newIstioRoute(ctx, s, mesh, parent)
}

// newIstioRoute registers the tutorial's Gateway on the ingress gateway's
// pods and the VirtualService sending its traffic to the first hop.
func newIstioRoute(ctx *pulumi.Context, s SampleChainSpec, mesh MeshAttachment, parent pulumi.ResourceOption) (chainRoute, error) {
	istioOpts := []pulumi.ResourceOption{parent, pulumi.DependsOn(mesh.IstioAPI)}
	gateway, err := newIstioResource(ctx, "gateway", istioResource{
		apiVersion: "networking.istio.io/v1", kind: "Gateway", name: "gateway", namespace: mesh.AppNamespace,
		spec: &networkingv1.Gateway{
			Selector: mesh.Gateway.Selector,
			Servers: []*networkingv1.Server{{
				Port:  &networkingv1.Port{Number: 80, Name: "http", Protocol: "HTTP"},
				Hosts: s.GatewayHosts,
			}},
		},
	}, istioOpts...)
	if err != nil {
		return chainRoute{}, err
	}
	virtualService, err := newIstioResource(ctx, "virtual-service", istioResource{
		apiVersion: "networking.istio.io/v1", kind: "VirtualService", name: "virtual-service", namespace: mesh.AppNamespace,
		spec: &networkingv1.VirtualService{
			Hosts:    s.GatewayHosts,
			Gateways: []string{"gateway"},
			Http:     ingressRoutes(s),
		},
	}, append(istioOpts, pulumi.DependsOn([]pulumi.Resource{gateway}))...)
	if err != nil {
		return chainRoute{}, err
	}
	return chainRoute{gateway: gateway, virtualService: virtualService}, nil
}

// ingressRoutes are the ingress gateway's routes to the first hop: the
// hop's own versions, matches and resilience when it has them (a mesh
// VirtualService binds to sidecars, not to the gateway, so the gateway's
// VirtualService carries them), else the tutorial's one route.
func ingressRoutes(s SampleChainSpec) []*networkingv1.HTTPRoute {
	port := &networkingv1.PortSelector{Number: uint32(s.Port)}
	host := HopServiceName(s.Hops[0])
	t := s.trafficOf(s.Hops[0])
	if t.routed() {
		// The gateway's port is its own: no port to match.
		return hopHTTPRoutes(t, host, uint32(s.Port), false)
	}
	return []*networkingv1.HTTPRoute{{
		Route: []*networkingv1.HTTPRouteDestination{{Destination: &networkingv1.Destination{Host: host, Port: port}}},
	}}
}

// ChainTrafficRules refuses traffic rules on the first hop where the
// ingress is the Gateway API: its HTTPRoute sends the gateway's requests
// to the hop's Service, and cannot name Istio's version subsets, matches
// or faults. The paths are the chain spec's.
func ChainTrafficRules(chain SampleChainSpec, api IngressAPI) field.ErrorList {
	if api != IngressAPIGateway || len(chain.Hops) == 0 || !chain.trafficOf(chain.Hops[0]).routed() {
		return nil
	}
	return rule.Refuse(field.NewPath("traffic").Key(chain.Hops[0]), "traffic rules on the first hop",
		fmt.Sprintf("rules on later hops only while istio:ingress.api is %s (the gateway reaches the first hop by an HTTPRoute, which cannot name Istio's subsets, matches or faults; use istio:ingress.api %s for them)", IngressAPIGateway, IngressAPIIstio))
}

// newHTTPRoute registers the Gateway API route attaching the first hop to
// the mesh's ingress Gateway. The route lives with the chain (the
// application's side of the Gateway API's roles), the Gateway with the
// mesh (the cluster operator's).
func newHTTPRoute(ctx *pulumi.Context, s SampleChainSpec, mesh MeshAttachment, parent pulumi.ResourceOption) (chainRoute, error) {
	gatewayNamespace := gatewayv1.Namespace(mesh.Gateway.Namespace)
	listener := gatewayv1.SectionName("http")
	port := gatewayv1.PortNumber(s.Port)
	var hostnames []gatewayv1.Hostname
	for _, h := range s.GatewayHosts {
		if h != anyHost {
			hostnames = append(hostnames, gatewayv1.Hostname(h))
		}
	}
	route, err := newIstioResource(ctx, "http-route", istioResource{
		apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", name: HopServiceName(s.Hops[0]), namespace: mesh.AppNamespace,
		spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{
				Name: gatewayv1.ObjectName(mesh.Gateway.Name), Namespace: &gatewayNamespace, SectionName: &listener,
			}}},
			Hostnames: hostnames,
			Rules: []gatewayv1.HTTPRouteRule{{
				BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{
					BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(HopServiceName(s.Hops[0])), Port: &port},
				}}},
			}},
		},
	}, parent, pulumi.DependsOn(mesh.Routes))
	if err != nil {
		return chainRoute{}, err
	}
	return chainRoute{httpRoute: route}, nil
}
