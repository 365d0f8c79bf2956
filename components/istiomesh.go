package components

import (
	"fmt"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/components/helmrelease"
	admissionregistrationv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/admissionregistration/v1"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// IstioMeshToken is the Pulumi type token of the IstioMesh component.
const IstioMeshToken = "playk8s:index:IstioMesh"

// InjectionLabel on a namespace makes istiod inject the Envoy sidecar into its
// pods ("enabled"), or never ("disabled"): today's form of the tutorial's
// `istioctl kube-inject`.
const InjectionLabel = "istio-injection"

// IstioMeshArgs are the arguments of an IstioMesh: what the user asked for
// (the mesh's spec and the tracing istiod is configured with) and how the
// stack runs.
type IstioMeshArgs struct {
	Spec IstioMeshSpec
	// Tracing is the telemetry spec's tracing: istiod's sampling and provider.
	Tracing TracingSpec
	// ProxylessGRPC says a workload of the app namespace runs Istio's
	// proxyless gRPC (a SampleChain with transport grpc): its pods are
	// injected with the grpc-agent template even where istio:sidecarInjection
	// is false, so the namespace is never labeled to refuse injection.
	ProxylessGRPC bool
	// SkipReleases registers no Helm releases: for the provider's render mode,
	// which cannot render helm.v3.Release (the provider installs a release
	// through a live cluster's Helm client). Everything else is registered.
	SkipReleases bool
}

// IstioMesh is Istio installed by Helm: the base (CRDs), cni, istiod and
// gateway releases in order, the namespaces they live in, the ingress
// Service and the mesh-wide security defaults. With the Gateway API
// ingress, the Gateway API's CRDs and a Gateway istiod provisions take the
// gateway release's and the Service's place.
type IstioMesh struct {
	pulumi.ResourceState

	SystemNamespace *corev1.Namespace
	AppNamespace    *corev1.Namespace
	CNINamespace    *corev1.Namespace
	Base            *helmrelease.Release
	CNI             *helmrelease.Release
	// Istiod is the istiod the app namespace runs on; Istiods every istiod
	// release by revision ("" for the revision-less one).
	Istiod  *helmrelease.Release
	Istiods map[string]*helmrelease.Release
	Gateway *helmrelease.Release
	// RevisionTags are the revision tags' injection webhooks, by tag.
	RevisionTags   map[string]*admissionregistrationv1.MutatingWebhookConfiguration
	IngressService *Service
	// GatewayAPI is the Gateway API's standard channel and KubernetesGateway
	// the ingress Gateway (the gateway-api ingress only).
	GatewayAPI        []pulumi.Resource
	KubernetesGateway *apiextensions.CustomResource
	// PeerAuthentication is the mesh-wide mTLS mode, AllowNothing the app
	// namespace's default-deny AuthorizationPolicy, NetworkPolicies the app
	// namespace's default-deny and baseline NetworkPolicies.
	PeerAuthentication *apiextensions.CustomResource
	AllowNothing       *apiextensions.CustomResource
	NetworkPolicies    []*networkingv1.NetworkPolicy

	// Attachment is what the components running in the mesh need of it.
	Attachment MeshAttachment

	// Namespace and AppNamespaceName are the namespaces' names (outputs, so users depend on them).
	Namespace        pulumi.StringOutput `pulumi:"namespace"`
	AppNamespaceName pulumi.StringOutput `pulumi:"appNamespace"`
	// SidecarInjection says whether the app namespace is labeled for injection.
	SidecarInjection pulumi.BoolOutput `pulumi:"sidecarInjection"`
	// IstiodRevision is the istiod revision the app namespace runs on ("" for
	// the revision-less istiod).
	IstiodRevision pulumi.StringOutput `pulumi:"istiodRevision"`
	// IngressAPI is the API the ingress is configured with (istio, gateway-api).
	IngressAPI pulumi.StringOutput `pulumi:"ingressApi"`
	// IngressHost, IngressPort and IngressURL are where the ingress gateway answers HTTP.
	IngressHost pulumi.StringOutput `pulumi:"ingressHost"`
	IngressPort pulumi.IntOutput    `pulumi:"ingressPort"`
	IngressURL  pulumi.StringOutput `pulumi:"ingressUrl"`
	// Revisions maps each release's chart to its Helm revision.
	Revisions pulumi.IntMapOutput `pulumi:"revisions"`
	// Releases maps each installed release's name to its namespace.
	Releases pulumi.StringMapOutput `pulumi:"releases"`
	// SkippedReleases names the releases not registered (render mode).
	SkippedReleases []string
}

// gatewaySelector is the label set the gateway chart gives its pods for a release name.
func gatewaySelector(release string) map[string]string {
	return map[string]string{"istio": strings.TrimPrefix(release, "istio-")}
}

// chartGatewayIdentity is who the gateway chart's pods are.
func chartGatewayIdentity(namespace string) GatewayIdentity {
	return GatewayIdentity{
		API:       IngressAPIIstio,
		Selector:  gatewaySelector(GatewayReleaseName),
		Namespace: namespace,
		// The gateway chart names its ServiceAccount after the release.
		Principal: Principal(namespace, GatewayReleaseName),
	}
}

// NewIstioMesh registers, in order, the namespaces, the Gateway API's
// CRDs (gateway-api ingress), the Helm releases with the revision tags'
// webhooks (base, then cni and istiod side by side, then gateway), the
// mesh-wide security policies and the ingress. Each step is a function
// that takes what it needs and returns what it registered; the
// component's fields are set from those values once every step ran.
func NewIstioMesh(ctx *pulumi.Context, name string, args *IstioMeshArgs, opts ...pulumi.ResourceOption) (*IstioMesh, error) {
	if args == nil {
		return nil, fmt.Errorf("istio mesh %q: args are required", name)
	}
	if errs := append(args.Spec.Validate(), args.Tracing.Validate()...); len(errs) > 0 {
		return nil, fmt.Errorf("istio mesh %q: %w", name, errs.ToAggregate())
	}
	s := args.Spec
	charts, err := s.ChartSource.refs(s.installedCharts())
	if err != nil {
		return nil, fmt.Errorf("istio mesh %q: %w", name, err)
	}
	// Spans go to Telemetry's collector, in the mesh's root namespace.
	collector := CollectorIn(s.Namespace)
	gateway := chartGatewayIdentity(s.Namespace)
	if s.Ingress.API == IngressAPIGateway {
		gateway = kubernetesGatewayIdentity(s.Namespace)
	}
	chartValues, err := args.chartValues(collector, gateway.Selector)
	if err != nil {
		return nil, fmt.Errorf("istio mesh %q: %w", name, err)
	}
	component := &IstioMesh{}
	if err := ctx.RegisterComponentResource(IstioMeshToken, name, component, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(component)

	namespaces, err := newMeshNamespaces(ctx, s, args.ProxylessGRPC, parent)
	if err != nil {
		return nil, err
	}
	var gatewayAPI []pulumi.Resource
	if s.Ingress.API == IngressAPIGateway {
		if gatewayAPI, err = newGatewayAPIStandard(ctx, parent); err != nil {
			return nil, err
		}
	}
	install, err := installIstio(ctx, args, installInputs{charts: charts, values: chartValues, namespaces: namespaces, gatewayAPI: gatewayAPI}, parent)
	if err != nil {
		return nil, err
	}
	istioAPI := install.istioAPI(s, namespaces.system)
	security, err := newSecurityPolicies(ctx, s, namespaces, istioAPI, collector, args.ProxylessGRPC, parent)
	if err != nil {
		return nil, err
	}
	ingress, err := newIngress(ctx, s, ingressInputs{
		system: namespaces.system, gatewayRelease: install.gateway, gatewayAPI: gatewayAPI, istioAPI: istioAPI, selector: gateway.Selector,
	}, parent)
	if err != nil {
		return nil, err
	}

	component.SystemNamespace, component.AppNamespace, component.CNINamespace = namespaces.system, namespaces.app, namespaces.cni
	component.GatewayAPI = gatewayAPI
	component.Base, component.CNI, component.Gateway = install.base, install.cni, install.gateway
	component.Istiods, component.Istiod = install.istiods, install.istiods[s.AppIstiodRevision()]
	component.RevisionTags, component.SkippedReleases = install.revisionTags, install.skipped
	component.PeerAuthentication, component.AllowNothing, component.NetworkPolicies = security.peerAuthentication, security.allowNothing, security.networkPolicies
	component.IngressService, component.KubernetesGateway = ingress.service, ingress.gateway
	component.Attachment = MeshAttachment{
		AppNamespace:    namespaces.appName(),
		SystemNamespace: namespaces.systemName(),
		IstioAPI:        istioAPI,
		Injector:        install.injector(s, args.ProxylessGRPC),
		PodAnnotations:  s.injectedPodAnnotations(),
		Gateway:         gateway,
		Routes:          ingress.routes(),
		Policy:          WorkloadPolicy{Authorization: s.Authorization, NetworkPolicies: s.NetworkPolicies, Sidecars: s.SidecarInjection},
		Collector:       collector,
	}
	if args.ProxylessGRPC {
		component.Attachment.Proxyless = s.proxylessInjection()
	}
	component.Namespace = component.Attachment.SystemNamespace
	component.AppNamespaceName = component.Attachment.AppNamespace
	component.SidecarInjection = pulumi.Bool(s.SidecarInjection).ToBoolOutput()
	component.IngressAPI = pulumi.String(string(s.Ingress.API)).ToStringOutput()
	component.IstiodRevision = pulumi.String(s.AppIstiodRevision()).ToStringOutput()
	component.IngressHost, component.IngressPort, component.IngressURL = ingress.host, ingress.port, ingress.url
	component.Revisions, component.Releases = install.helmRevisions(), install.releaseNamespaces()
	if err := ctx.RegisterResourceOutputs(component, pulumi.Map{
		"namespace":        component.Namespace,
		"appNamespace":     component.AppNamespaceName,
		"sidecarInjection": component.SidecarInjection,
		"ingressApi":       component.IngressAPI,
		"istiodRevision":   component.IstiodRevision,
		"ingressHost":      component.IngressHost,
		"ingressPort":      component.IngressPort,
		"ingressUrl":       component.IngressURL,
		"revisions":        component.Revisions,
		"releases":         component.Releases,
	}); err != nil {
		return nil, err
	}
	return component, nil
}
