package components

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
)

// IstioMeshToken is the Pulumi type token of the IstioMesh component.
const IstioMeshToken = "playk8s:index:IstioMesh"

// InjectionLabel on a namespace makes istiod inject the Envoy sidecar into its
// pods: today's form of the tutorial's `istioctl kube-inject`.
const InjectionLabel = "istio-injection"

// IstioChart names one of the three Istio charts the mesh installs.
type IstioChart string

// The Istio charts, in install order.
const (
	IstioChartBase    IstioChart = "base"
	IstioChartIstiod  IstioChart = "istiod"
	IstioChartGateway IstioChart = "gateway"
)

// IstioCharts lists the charts in install order.
func IstioCharts() []IstioChart {
	return []IstioChart{IstioChartBase, IstioChartIstiod, IstioChartGateway}
}

// ChartSource says where the Istio charts come from: a chart repository at a
// pinned version, or a local directory (air-gapped clusters, and our tests).
type ChartSource struct {
	// Repo is the chart repository URL.
	Repo string
	// Version is the chart version in Repo (the Istio release).
	Version string
	// Dir is a local directory holding the charts, either as `helm pull --untar`
	// leaves them (base/, istiod/, gateway/) or in Istio's source layout
	// (manifests/charts/{base,istio-control/istio-discovery,gateway}). It wins over Repo.
	Dir string
}

// chartDirLayouts are the relative paths of each chart under ChartSource.Dir, per layout.
var chartDirLayouts = []map[IstioChart]string{
	{IstioChartBase: "base", IstioChartIstiod: "istiod", IstioChartGateway: "gateway"},
	{IstioChartBase: "base", IstioChartIstiod: "istio-control/istio-discovery", IstioChartGateway: "gateway"},
	{IstioChartBase: "manifests/charts/base", IstioChartIstiod: "manifests/charts/istio-control/istio-discovery", IstioChartGateway: "manifests/charts/gateway"},
}

// LocalChartPaths finds the three charts under dir, trying each known layout,
// and returns their paths, or an error saying which layouts were tried.
func LocalChartPaths(dir string) (map[IstioChart]string, error) {
	var tried []string
	for _, layout := range chartDirLayouts {
		found := map[IstioChart]string{}
		for chart, rel := range layout {
			p := filepath.Join(dir, rel)
			if _, err := os.Stat(filepath.Join(p, "Chart.yaml")); err == nil {
				found[chart] = p
			}
		}
		if len(found) == len(layout) {
			return found, nil
		}
		tried = append(tried, layout[IstioChartIstiod])
	}
	return nil, fmt.Errorf("no Istio charts under %s: looked for base/, gateway/ and one of %s, each with a Chart.yaml",
		dir, strings.Join(tried, ", "))
}

// Tracing is the mesh's tracing setup, shared by IstioMesh (istiod's values)
// and Telemetry (the Telemetry resource).
type Tracing struct {
	// Enabled turns Envoy's span reporting on.
	Enabled bool
	// SamplingPercent of requests traced, 0-100. istiod's default is 1%; the
	// tutorial set 100 (PILOT_TRACE_SAMPLING) to see every request.
	SamplingPercent float64
	// Provider is the name of the mesh's tracing extension provider.
	Provider string
	// CollectorHost and CollectorPort are the OTLP/gRPC endpoint spans go to.
	CollectorHost string
	CollectorPort int
}

// IngressArgs shape the ingress gateway's Service.
type IngressArgs struct {
	// Type of the Service: NodePort on minikube, LoadBalancer on a cloud.
	Type ServiceType
	// HTTPNodePort fixes the HTTP node port (the tutorial's 31380); 0 lets Kubernetes choose.
	HTTPNodePort int
	// Host is the address users reach a NodePort at (e.g. `minikube ip`);
	// for LoadBalancer the load balancer's address is used.
	Host string
	// Replicas of the gateway pods.
	Replicas int
	// Resources of the gateway's proxy container.
	Resources Resources
}

// IstioMeshArgs are the arguments of an IstioMesh.
type IstioMeshArgs struct {
	// Namespace of the control plane and the ingress gateway (istio-system).
	Namespace string
	// AppNamespace is created labeled for automatic sidecar injection.
	AppNamespace string
	// AppNamespaceLabels are extra labels on the app namespace (e.g. Pod Security levels).
	AppNamespaceLabels map[string]string
	// Charts is where the base, istiod and gateway charts come from.
	Charts ChartSource
	// IstiodReplicas runs istiod with this many replicas (2+ for HA), autoscaling off.
	IstiodReplicas int
	// IstiodResources of the discovery container (the chart asks 500m/2Gi by default).
	IstiodResources Resources
	// AccessLogs turns Envoy's access log to stdout on, so `kubectl logs <pod> istio-proxy` shows requests.
	AccessLogs bool
	// Tracing configures the tracing provider and sampling.
	Tracing Tracing
	// Ingress shapes the ingress gateway.
	Ingress IngressArgs
	// TimeoutSeconds bounds each Helm release's install or upgrade.
	TimeoutSeconds int
	// SkipReleases registers no Helm releases: for the provider's render mode,
	// which cannot render helm.v3.Release (the provider installs a release
	// through a live cluster's Helm client). Everything else is registered.
	SkipReleases bool
}

// IstioMesh is Istio installed by Helm: the base (CRDs), istiod and gateway
// releases in order, the namespaces they live in, and the ingress Service.
type IstioMesh struct {
	pulumi.ResourceState

	SystemNamespace *corev1.Namespace
	AppNamespace    *corev1.Namespace
	Base            *helmv3.Release
	Istiod          *helmv3.Release
	Gateway         *helmv3.Release
	IngressService  *Service

	// GatewayName is the ingress gateway's release and workload name.
	GatewayName string
	// GatewaySelector matches the ingress gateway's pods, for a Gateway resource.
	GatewaySelector map[string]string

	// Namespace and AppNamespaceName are the namespaces' names (outputs, so users depend on them).
	Namespace        pulumi.StringOutput `pulumi:"namespace"`
	AppNamespaceName pulumi.StringOutput `pulumi:"appNamespace"`
	// IngressHost, IngressPort and IngressURL are where the ingress gateway answers HTTP.
	IngressHost pulumi.StringOutput `pulumi:"ingressHost"`
	IngressPort pulumi.IntOutput    `pulumi:"ingressPort"`
	IngressURL  pulumi.StringOutput `pulumi:"ingressUrl"`
	// CRDs is what Istio custom resources must wait for: the base release
	// (it installs the CRDs), or the namespace when releases are skipped.
	CRDs pulumi.Resource

	// Revisions maps each release to its Helm revision.
	Revisions pulumi.IntMapOutput `pulumi:"revisions"`
	// SkippedReleases names the releases not registered (render mode).
	SkippedReleases []string
}

// GatewayReleaseName is the ingress gateway's release name. The gateway chart
// labels its pods istio: <release name without "istio-">, so it must be
// fixed: a generated name would silently break every Gateway selector.
const GatewayReleaseName = "istio-ingressgateway"

// gatewaySelector is the label set the gateway chart gives its pods for a release name.
func gatewaySelector(release string) map[string]string {
	return map[string]string{"istio": strings.TrimPrefix(release, "istio-")}
}

func (a *IstioMeshArgs) check(name string) error {
	switch {
	case a.Namespace == "" || a.AppNamespace == "":
		return fmt.Errorf("istio mesh %q: namespace and appNamespace are required", name)
	case a.Charts.Dir == "" && (a.Charts.Repo == "" || a.Charts.Version == ""):
		return fmt.Errorf("istio mesh %q: charts need a repo and version, or a local dir", name)
	case !a.Ingress.Type.Valid() || a.Ingress.Type == ServiceTypeExternalName:
		return fmt.Errorf("istio mesh %q: ingress type %q is not ClusterIP, NodePort or LoadBalancer", name, a.Ingress.Type)
	case a.Tracing.SamplingPercent < 0 || a.Tracing.SamplingPercent > 100:
		return fmt.Errorf("istio mesh %q: sampling percent must be 0-100, got %g", name, a.Tracing.SamplingPercent)
	}
	return nil
}

// NewIstioMesh registers the namespaces, the three Helm releases (base, then
// istiod, then gateway) and the ingress gateway's Service.
func NewIstioMesh(ctx *pulumi.Context, name string, args *IstioMeshArgs, opts ...pulumi.ResourceOption) (*IstioMesh, error) {
	if args == nil {
		return nil, fmt.Errorf("istio mesh %q: args are required", name)
	}
	if err := args.check(name); err != nil {
		return nil, err
	}
	charts, err := args.chartRefs()
	if err != nil {
		return nil, fmt.Errorf("istio mesh %q: %w", name, err)
	}
	component := &IstioMesh{GatewayName: GatewayReleaseName, GatewaySelector: gatewaySelector(GatewayReleaseName)}
	if err := ctx.RegisterComponentResource(IstioMeshToken, name, component, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(component)

	// Namespaces are Pulumi resources, not Helm's createNamespace: Helm never
	// deletes a namespace it created, so destroy would leave them behind.
	component.SystemNamespace, err = corev1.NewNamespace(ctx, args.Namespace, &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(args.Namespace)},
	}, parent)
	if err != nil {
		return nil, err
	}
	component.AppNamespace, err = corev1.NewNamespace(ctx, args.AppNamespace, &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:   pulumi.String(args.AppNamespace),
			Labels: stringMap(mergeLabels(args.AppNamespaceLabels, map[string]string{InjectionLabel: "enabled"})),
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	ns := component.SystemNamespace.Metadata.Name().Elem()

	meshConfig, err := args.meshConfigValues()
	if err != nil {
		return nil, fmt.Errorf("istio mesh %q: %w", name, err)
	}
	releases := []struct {
		chart  IstioChart
		name   string
		values map[string]interface{}
		target **helmv3.Release
	}{
		{IstioChartBase, "istio-base", map[string]interface{}{
			"global": map[string]interface{}{"istioNamespace": args.Namespace},
		}, &component.Base},
		{IstioChartIstiod, "istiod", map[string]interface{}{
			"global":           map[string]interface{}{"istioNamespace": args.Namespace},
			"autoscaleEnabled": false,
			"replicaCount":     args.IstiodReplicas,
			"traceSampling":    args.Tracing.SamplingPercent,
			"resources":        resourceValues(args.IstiodResources),
			"meshConfig":       meshConfig,
		}, &component.Istiod},
		{IstioChartGateway, GatewayReleaseName, map[string]interface{}{
			// The Service is ours (below), so its type, node ports and
			// outputs are typed and awaited like every other Service.
			"service":      map[string]interface{}{"type": "None"},
			"autoscaling":  map[string]interface{}{"enabled": false},
			"replicaCount": args.Ingress.Replicas,
			"resources":    resourceValues(args.Ingress.Resources),
		}, &component.Gateway},
	}
	var previous pulumi.Resource = component.SystemNamespace
	revisions := pulumi.IntMap{}
	for _, r := range releases {
		if args.SkipReleases {
			component.SkippedReleases = append(component.SkippedReleases, r.name)
			continue
		}
		ref := charts[r.chart]
		release, err := helmv3.NewRelease(ctx, r.name, &helmv3.ReleaseArgs{
			// An explicit name: without it the provider appends a random suffix.
			Name:           pulumi.String(r.name),
			Namespace:      ns,
			Chart:          pulumi.String(ref.chart),
			Version:        optionalString(ref.version),
			RepositoryOpts: ref.repositoryOpts(),
			Values:         pulumi.ToMap(r.values),
			// Roll a failed upgrade's new objects back, and keep the history short.
			CleanupOnFail: pulumi.Bool(true),
			MaxHistory:    pulumi.Int(10),
			Timeout:       optionalInt(args.TimeoutSeconds),
		}, parent, pulumi.DependsOn([]pulumi.Resource{previous}))
		if err != nil {
			return nil, err
		}
		*r.target = release
		previous = release
		revisions[string(r.chart)] = release.Status.Revision().Elem()
	}
	component.CRDs = component.SystemNamespace
	if component.Base != nil {
		component.CRDs = component.Base
	}

	ingress, err := NewService(ctx, GatewayReleaseName, &ServiceArgs{
		Namespace: ns,
		Type:      args.Ingress.Type,
		Selector:  mergeLabels(component.GatewaySelector, map[string]string{"app": GatewayReleaseName}),
		Ports: []ServicePort{
			// http2 first: the component's NodePort and URL outputs follow the first port.
			{Name: "http2", Port: 80, TargetPort: 80, NodePort: args.Ingress.HTTPNodePort},
			{Name: "https", Port: 443, TargetPort: 443},
			{Name: "status-port", Port: 15021, TargetPort: 15021},
		},
		Labels: mergeLabels(component.GatewaySelector, map[string]string{"app": GatewayReleaseName}),
	}, parent, pulumi.DependsOn([]pulumi.Resource{previous}))
	if err != nil {
		return nil, err
	}
	component.IngressService = ingress

	component.Namespace = ns
	component.AppNamespaceName = component.AppNamespace.Metadata.Name().Elem()
	switch args.Ingress.Type {
	case ServiceTypeLoadBalancer:
		component.IngressHost = ingress.ExternalAddress
		component.IngressPort = pulumi.Int(80).ToIntOutput()
	case ServiceTypeNodePort:
		component.IngressHost = pulumi.String(args.Ingress.Host).ToStringOutput()
		component.IngressPort = ingress.NodePort
	default:
		component.IngressHost = InClusterHost(GatewayReleaseName, ns)
		component.IngressPort = pulumi.Int(80).ToIntOutput()
	}
	component.IngressURL = pulumi.Sprintf("http://%s:%d", component.IngressHost, component.IngressPort)
	component.Revisions = revisions.ToIntMapOutput()

	if err := ctx.RegisterResourceOutputs(component, pulumi.Map{
		"namespace":    component.Namespace,
		"appNamespace": component.AppNamespaceName,
		"ingressHost":  component.IngressHost,
		"ingressPort":  component.IngressPort,
		"ingressUrl":   component.IngressURL,
		"revisions":    component.Revisions,
	}); err != nil {
		return nil, err
	}
	return component, nil
}

// chartRef is where one release's chart comes from.
type chartRef struct {
	chart, version, repo string
}

func (c chartRef) repositoryOpts() helmv3.RepositoryOptsPtrInput {
	if c.repo == "" {
		return nil
	}
	return &helmv3.RepositoryOptsArgs{Repo: pulumi.String(c.repo)}
}

func (a *IstioMeshArgs) chartRefs() (map[IstioChart]chartRef, error) {
	refs := map[IstioChart]chartRef{}
	if a.Charts.Dir != "" {
		paths, err := LocalChartPaths(a.Charts.Dir)
		if err != nil {
			return nil, err
		}
		for chart, p := range paths {
			refs[chart] = chartRef{chart: p}
		}
		return refs, nil
	}
	for _, chart := range IstioCharts() {
		refs[chart] = chartRef{chart: string(chart), version: a.Charts.Version, repo: a.Charts.Repo}
	}
	return refs, nil
}

// meshConfigValues builds istiod's meshConfig from Istio's own MeshConfig type.
func (a *IstioMeshArgs) meshConfigValues() (map[string]interface{}, error) {
	mc := &meshv1alpha1.MeshConfig{
		EnableTracing: a.Tracing.Enabled,
		ExtensionProviders: []*meshv1alpha1.MeshConfig_ExtensionProvider{{
			Name: a.Tracing.Provider,
			Provider: &meshv1alpha1.MeshConfig_ExtensionProvider_Opentelemetry{
				Opentelemetry: &meshv1alpha1.MeshConfig_ExtensionProvider_OpenTelemetryTracingProvider{
					Service: a.Tracing.CollectorHost,
					Port:    uint32(a.Tracing.CollectorPort),
				},
			},
		}},
	}
	if a.Tracing.Enabled {
		mc.DefaultProviders = &meshv1alpha1.MeshConfig_DefaultProviders{Tracing: []string{a.Tracing.Provider}}
	}
	if a.AccessLogs {
		mc.AccessLogFile = "/dev/stdout"
	}
	values, err := specMap(mc)
	if err != nil {
		return nil, err
	}
	// proto3 JSON omits false, and Istio's default for enableTracing is true:
	// say it explicitly so turning tracing off really turns it off.
	values["enableTracing"] = a.Tracing.Enabled
	return values, nil
}

// resourceValues renders Resources as a chart's `resources` value.
func resourceValues(r Resources) map[string]interface{} {
	out := map[string]interface{}{}
	for key, list := range map[string]ResourceList{"requests": r.Requests, "limits": r.Limits} {
		m := map[string]interface{}{}
		if list.CPU != "" {
			m["cpu"] = list.CPU
		}
		if list.Memory != "" {
			m["memory"] = list.Memory
		}
		if len(m) > 0 {
			out[key] = m
		}
	}
	return out
}
