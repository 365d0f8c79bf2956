package components

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ingress registers the ingress gateway for the spec's ingress API: the
// Service in front of the gateway chart's pods (istio), or a Gateway that
// istiod provisions (gateway-api). Either sets the ingress outputs.
func (c *IstioMesh) ingress(ctx *pulumi.Context, s IstioMeshSpec, selector map[string]string, parent pulumi.ResourceOption) error {
	var err error
	if s.Ingress.API == IngressAPIGateway {
		err = c.kubernetesGateway(ctx, s, parent)
	} else {
		err = c.chartIngress(ctx, s.Ingress, selector, parent)
	}
	if err != nil {
		return err
	}
	c.IngressURL = pulumi.Sprintf("http://%s:%d", c.IngressHost, c.IngressPort)
	return nil
}

// chartIngress registers the Service in front of the gateway chart's pods
// and the outputs saying where it answers.
func (c *IstioMesh) chartIngress(ctx *pulumi.Context, in IngressSpec, selector map[string]string, parent pulumi.ResourceOption) error {
	var after pulumi.Resource = c.SystemNamespace
	if c.Gateway != nil {
		after = c.Gateway
	}
	ns := c.SystemNamespace.Metadata.Name().Elem()
	labels := mergeMaps(selector, map[string]string{"app": GatewayReleaseName})
	svc, err := NewService(ctx, GatewayReleaseName, &ServiceArgs{
		Namespace: ns,
		Type:      in.Type,
		Selector:  labels,
		Ports: []ServicePort{
			// http2 first: the component's NodePort and URL outputs follow the first port.
			{Name: "http2", Port: 80, TargetPort: 80, NodePort: in.HTTPNodePort},
			{Name: "https", Port: 443, TargetPort: 443},
			{Name: "status-port", Port: 15021, TargetPort: 15021},
		},
		Labels: labels,
		// The gateway release waited for its pods; a LoadBalancer is still
		// awaited for its address (the ingressUrl output).
		SkipAwait: in.Type != ServiceTypeLoadBalancer,
	}, parent, pulumi.DependsOn([]pulumi.Resource{after}))
	if err != nil {
		return err
	}
	c.IngressService = svc
	switch in.Type {
	case ServiceTypeLoadBalancer:
		c.IngressHost = svc.ExternalAddress
		c.IngressPort = pulumi.Int(80).ToIntOutput()
	case ServiceTypeNodePort:
		c.IngressHost = pulumi.String(in.Host).ToStringOutput()
		c.IngressPort = svc.NodePort
	default:
		c.IngressHost = InClusterHost(GatewayReleaseName, ns)
		c.IngressPort = pulumi.Int(80).ToIntOutput()
	}
	return nil
}
