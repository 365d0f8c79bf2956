package components_test

import (
	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// gatewayIdentity is the ingress gateway's mTLS identity in istio-system.
const gatewayIdentity = "cluster.local/ns/istio-system/sa/istio-ingressgateway"

// testAttachment is a mesh attachment as IstioMesh hands it out, with
// stand-ins for the CRD release ("crds") and the injector ("injector"),
// so a test can see what waits for them.
func testAttachment(ctx *pulumi.Context) (components.MeshAttachment, error) {
	crds, err := pulumi.NewStackReference(ctx, "crds", nil)
	if err != nil {
		return components.MeshAttachment{}, err
	}
	injector, err := pulumi.NewStackReference(ctx, "injector", nil)
	if err != nil {
		return components.MeshAttachment{}, err
	}
	return components.MeshAttachment{
		AppNamespace:    pulumi.String("playground").ToStringOutput(),
		SystemNamespace: pulumi.String("istio-system").ToStringOutput(),
		IstioAPI:        []pulumi.Resource{crds},
		Injector:        []pulumi.Resource{injector},
		Gateway: components.GatewayIdentity{
			Selector:  map[string]string{"istio": "ingressgateway"},
			Namespace: "istio-system",
			Principal: gatewayIdentity,
		},
		Policy:    components.WorkloadPolicy{Authorization: true, NetworkPolicies: true},
		Collector: components.CollectorIn("istio-system"),
	}, nil
}

func webServerSpec() components.WebServerSpec {
	var s components.WebServerSpec
	s.Defaults()
	return s
}

func meshSpec() components.IstioMeshSpec {
	var s components.IstioMeshSpec
	s.Defaults()
	return s
}

func chainSpec() components.SampleChainSpec {
	var s components.SampleChainSpec
	s.Defaults()
	s.Image = "ghcr.io/play-kubernetes/sample-app:0.1.0"
	return s
}

func telemetrySpec() components.TelemetrySpec {
	var s components.TelemetrySpec
	s.Defaults()
	s.SamplingPercent = 100
	return s
}
