package components_test

import (
	"maps"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
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
		Policy:    components.WorkloadPolicy{Authorization: true, NetworkPolicies: true, Sidecars: true},
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

// resourceID is a registered resource's type and name.
type resourceID struct{ typ, name string }

// mergeIDs is a copy of base with extra's fields added.
func mergeIDs(base, extra map[string]resourceID) map[string]resourceID {
	out := maps.Clone(base)
	maps.Copy(out, extra)
	return out
}

// captureURNs follows the URN of each resource a component's fields hold,
// by field name (leave out the fields that hold nothing).
func captureURNs(fields map[string]pulumi.Resource) map[string]*pulumimock.Captured[pulumi.URN] {
	out := map[string]*pulumimock.Captured[pulumi.URN]{}
	for field, r := range fields {
		out[field] = pulumimock.Capture[pulumi.URN](r.URN())
	}
	return out
}

// checkFieldsHold fails unless the fields holding a resource are exactly
// those of want, each holding the resource want names.
func checkFieldsHold(t *testing.T, mocks *pulumimock.Mocks, got map[string]*pulumimock.Captured[pulumi.URN], want map[string]resourceID) {
	t.Helper()
	for field, id := range want {
		urn, ok := got[field]
		if !ok {
			t.Errorf("%s holds nothing, want %s %s", field, id.typ, id.name)
			continue
		}
		if got, want := string(urn.Value(t)), mocks.Find(t, id.typ, id.name).URN; got != want {
			t.Errorf("%s holds %s, want %s", field, got, want)
		}
	}
	for field, urn := range got {
		if _, ok := want[field]; !ok {
			t.Errorf("%s holds %s, want nothing", field, urn.Value(t))
		}
	}
}
