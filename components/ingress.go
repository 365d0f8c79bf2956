package components

import (
	"net"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ingress registers the ingress gateway for the spec's ingress API: the
// Service in front of the gateway chart's pods (istio), or a Gateway that
// istiod provisions (gateway-api), and the outputs saying where it answers.
func (c *IstioMesh) ingress(ctx *pulumi.Context, s IstioMeshSpec, selector map[string]string, parent pulumi.ResourceOption) error {
	var after pulumi.Resource = c.SystemNamespace
	if c.Gateway != nil {
		after = c.Gateway
	}
	if s.Ingress.API == IngressAPIGateway {
		if err := c.kubernetesGateway(ctx, s, parent); err != nil {
			return err
		}
		after = c.KubernetesGateway
	}
	if s.Ingress.holdsServiceOfItsOwn() {
		if err := c.ingressService(ctx, s.Ingress, selector, parent, after); err != nil {
			return err
		}
	}
	c.ingressAddress(s.Ingress)
	c.IngressURL = pulumi.All(c.IngressHost, c.IngressPort).ApplyT(func(hostPort []interface{}) string {
		return IngressURL(hostPort[0].(string), hostPort[1].(int))
	}).(pulumi.StringOutput)
	return nil
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

// ingressService registers the Service in front of the gateway's pods.
func (c *IstioMesh) ingressService(ctx *pulumi.Context, in IngressSpec, selector map[string]string, parent pulumi.ResourceOption, after pulumi.Resource) error {
	ns := c.SystemNamespace.Metadata.Name().Elem()
	labels := mergeMaps(selector, map[string]string{"app": GatewayReleaseName})
	podSelector := labels
	if in.API == IngressAPIGateway {
		// istiod's pods carry the Gateway's name label, not the chart's app.
		podSelector = selector
	}
	svc, err := NewService(ctx, GatewayReleaseName, &ServiceArgs{
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
	if err != nil {
		return err
	}
	c.IngressService = svc
	return nil
}

// ingressAddress sets the ingress outputs: a NodePort at the configured
// host and the Service's node port, a LoadBalancer at its address (the
// Service's, or the one istiod reported in the Gateway's status), else
// the in-cluster name of the Service that fronts the gateway.
func (c *IstioMesh) ingressAddress(in IngressSpec) {
	ns := c.SystemNamespace.Metadata.Name().Elem()
	c.IngressPort = pulumi.Int(80).ToIntOutput()
	switch {
	case in.Type == ServiceTypeNodePort:
		c.IngressHost = pulumi.String(in.Host).ToStringOutput()
		c.IngressPort = c.IngressService.NodePort
	case c.IngressService != nil && in.Type == ServiceTypeLoadBalancer:
		c.IngressHost = c.IngressService.ExternalAddress
	case c.IngressService != nil:
		c.IngressHost = InClusterHost(GatewayReleaseName, ns)
	case in.Type == ServiceTypeLoadBalancer:
		c.IngressHost = c.KubernetesGateway.OtherFields.ApplyT(func(fields map[string]interface{}) string {
			return gatewayStatusAddress(fields)
		}).(pulumi.StringOutput)
	default:
		c.IngressHost = InClusterHost(ProvisionedGatewayName(KubernetesGatewayName), ns)
	}
}
