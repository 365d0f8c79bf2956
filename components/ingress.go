package components

import (
	"net"
	"strconv"

	"github.com/play-kubernetes/play-kubernetes/components/helmrelease"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// meshIngress is the ingress as registered, and where it answers HTTP.
type meshIngress struct {
	// service is the stack's own Service in front of the gateway's pods
	// (nil when the Gateway's own LoadBalancer is the ingress);
	// gateway is the Gateway API Gateway (gateway-api only).
	service *Service
	gateway *apiextensions.CustomResource
	host    pulumi.StringOutput
	port    pulumi.IntOutput
	url     pulumi.StringOutput
}

// routes are what a Gateway API route to the ingress waits for: the
// Gateway (none with Istio's own ingress API).
func (in meshIngress) routes() []pulumi.Resource {
	if in.gateway == nil {
		return nil
	}
	return []pulumi.Resource{in.gateway}
}

// ingressInputs are what the ingress lives in, waits for and selects.
type ingressInputs struct {
	// system is the control plane's namespace, where the gateway runs.
	system *corev1.Namespace
	// gatewayRelease is the gateway chart's release (nil with the Gateway
	// API, or in render mode).
	gatewayRelease *helmrelease.Release
	// gatewayAPI and istioAPI are what a Gateway API Gateway waits for.
	gatewayAPI, istioAPI []pulumi.Resource
	// selector matches the gateway's pods.
	selector map[string]string
}

// newIngress registers the ingress gateway for the spec's ingress API: the
// Service in front of the gateway chart's pods (istio), or a Gateway that
// istiod provisions (gateway-api), and says where it answers.
func newIngress(ctx *pulumi.Context, s IstioMeshSpec, in ingressInputs, parent pulumi.ResourceOption) (meshIngress, error) {
	ns := in.system.Metadata.Name().Elem()
	var out meshIngress
	var after pulumi.Resource = in.system
	if in.gatewayRelease != nil {
		after = in.gatewayRelease
	}
	var err error
	if s.Ingress.API == IngressAPIGateway {
		if out.gateway, err = newKubernetesGateway(ctx, s, ns, in.gatewayAPI, in.istioAPI, parent); err != nil {
			return meshIngress{}, err
		}
		after = out.gateway
	}
	if s.Ingress.holdsServiceOfItsOwn() {
		if out.service, err = newIngressService(ctx, s.Ingress, ns, in.selector, parent, after); err != nil {
			return meshIngress{}, err
		}
	}
	out.host, out.port = ingressAddress(s.Ingress, ns, out.service, out.gateway)
	out.url = pulumi.All(out.host, out.port).ApplyT(func(hostPort []interface{}) string {
		return IngressURL(hostPort[0].(string), hostPort[1].(int))
	}).(pulumi.StringOutput)
	return out, nil
}

// IngressURL is the ingress's HTTP URL at host and port: an IPv6 address
// is bracketed, as a URL needs it (http://[2001:db8::1]:31380).
func IngressURL(host string, port int) string {
	return "http://" + net.JoinHostPort(host, strconv.Itoa(port))
}

// holdsServiceOfItsOwn says the stack's own Service fronts the gateway's
// pods: always for the istio API (the gateway chart's pods), and for
// gateway-api when the ingress is a NodePort. A node port can be held by
// one Service only, and an up that switches the ingress API creates the
// new API's objects before it deletes the old: were the NodePort held by
// the chart's Service in one API and by the Service istiod provisions in
// the other, the switch would ask for the port while the old holder still
// has it (the Service is refused, or istiod cannot provision and the
// Gateway never becomes Programmed). One Service in both APIs makes the
// switch an update of its selector. A LoadBalancer on the Gateway API is
// the Gateway's own Service, whose address istiod reports.
func (in IngressSpec) holdsServiceOfItsOwn() bool {
	return in.API != IngressAPIGateway || in.Type == ServiceTypeNodePort
}

// newIngressService registers the Service in front of the gateway's pods
// in namespace ns, after what brings them up.
func newIngressService(ctx *pulumi.Context, in IngressSpec, ns pulumi.StringOutput, selector map[string]string, parent pulumi.ResourceOption, after pulumi.Resource) (*Service, error) {
	labels := mergeMaps(selector, map[string]string{"app": GatewayReleaseName})
	podSelector := labels
	if in.API == IngressAPIGateway {
		// istiod's pods carry the Gateway's name label, not the chart's app.
		podSelector = selector
	}
	return NewService(ctx, GatewayReleaseName, &ServiceArgs{
		Namespace: ns,
		Type:      in.Type,
		Selector:  podSelector,
		Ports: []ServicePort{
			// http2 first: the component's NodePort and URL outputs follow the first port.
			{Name: "http2", Port: 80, TargetPort: 80, NodePort: in.HTTPNodePort},
			{Name: "https", Port: 443, TargetPort: 443},
			{Name: "status-port", Port: 15021, TargetPort: 15021},
		},
		Labels: labels,
		// The gateway's pods are ready before the Service is made (the
		// release waited for them, or the Gateway for Programmed); a
		// LoadBalancer is still awaited for its address (ingressUrl).
		SkipAwait: in.Type != ServiceTypeLoadBalancer,
	}, parent, pulumi.DependsOn([]pulumi.Resource{after}))
}

// ingressAddress is where the ingress answers: a NodePort at the
// configured host and the Service's node port, a LoadBalancer at its
// address (the Service's, or the one istiod reported in the Gateway's
// status), else the in-cluster name of the Service that fronts the
// gateway in namespace ns.
func ingressAddress(in IngressSpec, ns pulumi.StringOutput, svc *Service, gateway *apiextensions.CustomResource) (pulumi.StringOutput, pulumi.IntOutput) {
	port := pulumi.Int(80).ToIntOutput()
	switch {
	case in.Type == ServiceTypeNodePort:
		return pulumi.String(in.Host).ToStringOutput(), svc.NodePort
	case svc != nil && in.Type == ServiceTypeLoadBalancer:
		return svc.ExternalAddress, port
	case svc != nil:
		return InClusterHost(GatewayReleaseName, ns), port
	case in.Type == ServiceTypeLoadBalancer:
		return gateway.OtherFields.ApplyT(func(fields map[string]interface{}) string {
			return gatewayStatusAddress(fields)
		}).(pulumi.StringOutput), port
	}
	return InClusterHost(ProvisionedGatewayName(KubernetesGatewayName), ns), port
}
