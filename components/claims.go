package components

import (
	"fmt"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/components/internal/gatewayapi"
	"github.com/play-kubernetes/play-kubernetes/internal/ownership"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	namespaceResource = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	webhookResource   = schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations"}
)

// Claims are the objects the mesh creates under fixed names outside its
// own namespaces: the namespaces themselves, and the cluster-scoped
// objects (revision tags' webhooks, the Gateway API's standard channel).
// Everything else the stack creates directly lives in these namespaces,
// and what the Helm releases create, Helm guards by its own ownership
// metadata. A mock test holds the list to what the stack registers.
func (s IstioMeshSpec) Claims() ([]ownership.Claim, error) {
	claims := s.namespaceClaims()
	for _, tag := range s.sortedTags() {
		claims = append(claims, ownership.Claim{Key: "istio:revisionTags", Object: ownership.Object{
			Resource: webhookResource, Kind: "mutatingwebhookconfiguration", Name: RevisionTagWebhookName(tag, s.Namespace)}})
	}
	if s.Ingress.API == IngressAPIGateway {
		objs, err := gatewayapi.Standard()
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			gv, err := schema.ParseGroupVersion(o.APIVersion)
			if err != nil {
				return nil, fmt.Errorf("gateway API %s %s: %w", o.Kind, o.Name, err)
			}
			// The standard channel's kinds (CustomResourceDefinition,
			// ValidatingAdmissionPolicy and its binding) have regular plurals.
			resource, _ := meta.UnsafeGuessKindToResource(gv.WithKind(o.Kind))
			claims = append(claims, ownership.Claim{Key: "istio:ingress.api", Object: ownership.Object{
				Resource: resource, Kind: strings.ToLower(o.Kind), Name: o.Name}})
		}
	}
	return claims, nil
}
