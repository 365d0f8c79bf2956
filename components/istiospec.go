package components

import (
	"encoding/json"
	"fmt"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	networkingv1 "istio.io/api/networking/v1"
	securityv1 "istio.io/api/security/v1"
)

// specMap turns one of the field's API types (Istio's istio.io/api, whose
// MarshalJSON speaks the CRD's JSON form, or the Gateway API's
// sigs.k8s.io/gateway-api) into the plain map Pulumi sends as a custom
// resource's spec. Building specs from their own types keeps field names
// and enums checked by the compiler instead of hand-written maps. The
// enums of zeroEnumsWritten are written out even at their zero value.
func specMap(spec interface{}) (map[string]interface{}, error) {
	raw, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	out := map[string]interface{}{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	if m, ok := spec.(proto.Message); ok {
		writeZeroEnums(m.ProtoReflect(), out)
	}
	return out, nil
}

// zeroEnumsWritten are the enum fields whose zero value specMap writes
// out, where Istio's JSON leaves every enum's zero value out. For these
// the zero is a choice a reviewer of the rendered stack must see without
// knowing the enum's order ("mode: DISABLE", not "tls: {}"), and one the
// provider must send: an ALLOW AuthorizationPolicy without rules would be
// "spec: {}", which the provider sends as a null spec when a policy
// changes to it from one with rules, and the API server refuses that.
var zeroEnumsWritten = map[protoreflect.FullName]bool{
	enumField(&networkingv1.ClientTLSSettings{}, "mode"):   true, // DISABLE
	enumField(&securityv1.AuthorizationPolicy{}, "action"): true, // ALLOW
}

// enumField is the full name of message's field, which must exist.
func enumField(message proto.Message, field protoreflect.Name) protoreflect.FullName {
	return message.ProtoReflect().Descriptor().Fields().ByName(field).FullName()
}

// writeZeroEnums walks message beside its JSON form out and writes the
// zeroEnumsWritten fields it leaves out, in every message set below.
func writeZeroEnums(message protoreflect.Message, out map[string]interface{}) {
	fields := message.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		name := fd.JSONName()
		switch {
		case fd.Kind() == protoreflect.EnumKind && !fd.IsList() && zeroEnumsWritten[fd.FullName()]:
			if _, written := out[name]; !written {
				out[name] = string(fd.Enum().Values().ByNumber(message.Get(fd).Enum()).Name())
			}
		case fd.Kind() != protoreflect.MessageKind || fd.IsMap() || !message.Has(fd):
		case fd.IsList():
			items, _ := out[name].([]interface{})
			list := message.Get(fd).List()
			for j := 0; j < list.Len() && j < len(items); j++ {
				if item, ok := items[j].(map[string]interface{}); ok {
					writeZeroEnums(list.Get(j).Message(), item)
				}
			}
		default:
			if sub, ok := out[name].(map[string]interface{}); ok {
				writeZeroEnums(message.Get(fd).Message(), sub)
			}
		}
	}
}

// istioResource describes one Istio (or Gateway API) custom resource to register.
type istioResource struct {
	apiVersion string
	kind       string
	name       string
	namespace  pulumi.StringInput
	// spec is an istio.io/api or sigs.k8s.io/gateway-api spec type.
	spec interface{}
	// annotations are added to the owned ones (e.g. pulumi.com/waitFor).
	annotations map[string]string
	// labels are the resource's labels (e.g. istio.io/rev).
	labels map[string]string
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
func newIstioResourceInNamespace(ctx *pulumi.Context, resourceName string, r istioResource, spec func(namespace string) interface{}, opts ...pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
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
			Annotations: ownedAnnotations(r.annotations),
			Name:        pulumi.String(r.name),
			Namespace:   r.namespace,
			Labels:      stringMap(r.labels),
		},
		OtherFields: kubernetes.UntypedArgs{"spec": spec},
	}, opts...)
}
