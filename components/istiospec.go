package components

import (
	"encoding/json"
	"fmt"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// specMap turns one of Istio's own API types (istio.io/api, whose
// MarshalJSON speaks the CRD's JSON form) into the plain map Pulumi sends as
// a custom resource's spec. Building specs from Istio's types keeps field
// names and enums checked by the compiler instead of hand-written maps.
func specMap(spec json.Marshaler) (map[string]interface{}, error) {
	raw, err := spec.MarshalJSON()
	if err != nil {
		return nil, err
	}
	out := map[string]interface{}{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// istioResource describes one Istio custom resource to register.
type istioResource struct {
	apiVersion string
	kind       string
	name       string
	namespace  pulumi.StringInput
	spec       json.Marshaler
}

func newIstioResource(ctx *pulumi.Context, resourceName string, r istioResource, opts ...pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	spec, err := specMap(r.spec)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", r.kind, r.name, err)
	}
	return registerIstioResource(ctx, resourceName, r, spec, opts...)
}

// newIstioResourceInNamespace is newIstioResource for a spec that names its
// own namespace (an mTLS principal, say) while the namespace is still an
// output: the spec is built once the namespace is known.
func newIstioResourceInNamespace(ctx *pulumi.Context, resourceName string, r istioResource, spec func(namespace string) json.Marshaler, opts ...pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	out := r.namespace.ToStringOutput().ApplyT(func(ns string) (map[string]interface{}, error) {
		return specMap(spec(ns))
	}).(pulumi.MapOutput)
	return registerIstioResource(ctx, resourceName, r, out, opts...)
}

func registerIstioResource(ctx *pulumi.Context, resourceName string, r istioResource, spec interface{}, opts ...pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	// The SDK's typed resources ask for the provider of their own version;
	// CustomResource asks for none and would get a second, unversioned
	// default provider. Pin it to the same one.
	opts = append(opts, pulumi.Version(playk8s.Version("PULUMI_KUBERNETES_PROVIDER_VERSION")))
	return apiextensions.NewCustomResource(ctx, resourceName, &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(r.apiVersion),
		Kind:       pulumi.String(r.kind),
		Metadata: &metav1.ObjectMetaArgs{
			Annotations: ownedAnnotations(),
			Name:        pulumi.String(r.name),
			Namespace:   r.namespace,
		},
		OtherFields: kubernetes.UntypedArgs{"spec": spec},
	}, opts...)
}
