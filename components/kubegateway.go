package components

import (
	"fmt"
	"strings"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/components/internal/gatewayapi"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	apimetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

// kubernetesGatewayIdentity is who the gateway istiod provisions for the
// ingress Gateway is: its pods carry the Gateway's name label, and it runs
// as the ServiceAccount istiod names <gateway>-istio.
func kubernetesGatewayIdentity(namespace string) GatewayIdentity {
	return GatewayIdentity{
		API:       IngressAPIGateway,
		Name:      KubernetesGatewayName,
		Selector:  map[string]string{GatewayNameLabel: KubernetesGatewayName},
		Namespace: namespace,
		Principal: Principal(namespace, ProvisionedGatewayName(KubernetesGatewayName)),
	}
}

// newGatewayAPIStandard registers the Gateway API's standard channel (its
// CRDs and the safe-upgrades admission policy) as resources of the stack,
// from the copy embedded at GATEWAY_API_VERSION: a preview shows them, an
// up installs or upgrades them, a destroy removes them after the routes.
func newGatewayAPIStandard(ctx *pulumi.Context, parent pulumi.ResourceOption) ([]pulumi.Resource, error) {
	objs, err := gatewayapi.Standard()
	if err != nil {
		return nil, err
	}
	var out []pulumi.Resource
	for _, o := range objs {
		// CRD names are unique; the policy and its binding share one.
		name := o.Name
		if o.Kind != "CustomResourceDefinition" {
			name = strings.ToLower(o.Kind) + "-" + o.Name
		}
		r, err := apiextensions.NewCustomResource(ctx, name, &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String(o.APIVersion),
			Kind:       pulumi.String(o.Kind),
			Metadata: &metav1.ObjectMetaArgs{
				Name:        pulumi.String(o.Name),
				Annotations: ownedAnnotations(o.Annotations, stackAnnotations(ctx)),
				Labels:      stringMap(o.Labels),
			},
			OtherFields: kubernetes.UntypedArgs(o.Fields),
		}, parent, pulumi.Version(playk8s.Version("PULUMI_KUBERNETES_PROVIDER_VERSION")))
		if err != nil {
			return nil, fmt.Errorf("gateway API %s %s: %w", o.Kind, o.Name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// newKubernetesGateway registers the ingress as a Gateway API Gateway of
// class istio in the control plane's namespace ns, after the Gateway
// API's CRDs and the Istio API (gatewayAPI, istioAPI), with its
// infrastructure options: istiod provisions the gateway's Deployment and
// Service from them, the gateway chart's job in the istio ingress API.
// Routes from the app namespace only may attach.
func newKubernetesGateway(ctx *pulumi.Context, s IstioMeshSpec, ns pulumi.StringOutput, gatewayAPI, istioAPI []pulumi.Resource, parent pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	overlays, err := gatewayOverlays(s)
	if err != nil {
		return nil, err
	}
	optionsName := KubernetesGatewayName + "-options"
	options, err := corev1.NewConfigMap(ctx, optionsName, &corev1.ConfigMapArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String(optionsName), Namespace: ns},
		Data:     pulumi.ToStringMap(overlays),
	}, parent)
	if err != nil {
		return nil, err
	}
	fromSelector := gatewayv1.NamespacesFromSelector
	spec := gatewayv1.GatewaySpec{
		GatewayClassName: KubernetesGatewayClass,
		Listeners: []gatewayv1.Listener{{
			Name:     "http",
			Port:     80,
			Protocol: gatewayv1.HTTPProtocolType,
			AllowedRoutes: &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{
				From: &fromSelector,
				Selector: &apimetav1.LabelSelector{
					MatchLabels: map[string]string{"kubernetes.io/metadata.name": s.AppNamespace},
				},
			}},
		}},
		Infrastructure: &gatewayv1.GatewayInfrastructure{
			ParametersRef: &gatewayv1.LocalParametersReference{Group: "", Kind: "ConfigMap", Name: optionsName},
		},
	}
	deps := append(append([]pulumi.Resource{options}, gatewayAPI...), istioAPI...)
	return newIstioResource(ctx, "ingress-gateway", istioResource{
		apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", name: KubernetesGatewayName, namespace: ns, spec: spec,
		// Programmed: istiod accepted the Gateway and provisioned its Service.
		annotations: map[string]string{"pulumi.com/waitFor": "condition=Programmed"},
		// The revision (or tag) whose istiod provisions it and injects its pods.
		labels: s.revisionSelection(),
	}, parent, pulumi.DependsOn(deps))
}

// gatewayStatusAddress is the first address in a Gateway's status.
func gatewayStatusAddress(fields map[string]interface{}) string {
	status, _ := fields["status"].(map[string]interface{})
	addresses, _ := status["addresses"].([]interface{})
	if len(addresses) == 0 {
		return ""
	}
	first, _ := addresses[0].(map[string]interface{})
	value, _ := first["value"].(string)
	return value
}

// gatewayOverlays are the Gateway's infrastructure options: the strategic
// merge patches istiod applies to the Deployment and Service it provisions
// (its "deployment" and "service" keys). They carry the ingress spec the
// gateway chart's values carry in the istio ingress API: replicas, the
// proxy's resources, placement, topology spread, the Service's type and
// node port.
func gatewayOverlays(s IstioMeshSpec) (map[string]string, error) {
	in := s.Ingress
	pod := values{
		"containers": []interface{}{values{"name": "istio-proxy", "resources": in.Resources.chartValues()}},
	}
	if len(in.NodeSelector) > 0 {
		pod["nodeSelector"] = stringValues(in.NodeSelector)
	}
	if len(in.Tolerations) > 0 {
		pod["tolerations"] = tolerationValues(in.Tolerations)
	}
	if s.TopologySpread {
		pod["topologySpreadConstraints"] = topologySpreadValues(map[string]string{GatewayNameLabel: KubernetesGatewayName})
	}
	template := values{"spec": pod}
	if annotations := s.revisionPodAnnotations(); len(annotations) > 0 {
		template["metadata"] = values{"annotations": stringValues(annotations)}
	}
	deployment := values{"spec": values{"replicas": in.Replicas, "template": template}}
	provisioned := in.Type
	if in.holdsServiceOfItsOwn() {
		// The stack's own Service holds the node port (ingressService).
		provisioned = ServiceTypeClusterIP
	}
	service := values{"spec": values{"type": string(provisioned)}}
	out := map[string]string{}
	for key, overlay := range map[string]values{"deployment": deployment, "service": service} {
		raw, err := yaml.Marshal(overlay)
		if err != nil {
			return nil, err
		}
		out[key] = string(raw)
	}
	return out, nil
}
