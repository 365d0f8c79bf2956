package components

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	securityv1 "istio.io/api/security/v1"
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
	IstioChartCNI     IstioChart = "cni"
	IstioChartIstiod  IstioChart = "istiod"
	IstioChartGateway IstioChart = "gateway"
)

// ReleaseName is the Helm release name the mesh gives a chart's release.
func ReleaseName(chart IstioChart) string {
	switch chart {
	case IstioChartBase:
		return "istio-base"
	case IstioChartCNI:
		return "istio-cni"
	case IstioChartGateway:
		return GatewayReleaseName
	}
	return string(chart)
}

// IstioCharts lists the charts in install order.
func IstioCharts() []IstioChart {
	return []IstioChart{IstioChartBase, IstioChartCNI, IstioChartIstiod, IstioChartGateway}
}

// Charts lists the charts a mesh with these arguments installs, in order:
// the CNI chart only when istio-cni is on.
func (a *IstioMeshArgs) InstalledCharts() []IstioChart {
	var out []IstioChart
	for _, c := range IstioCharts() {
		if c != IstioChartCNI || a.CNI.Enabled {
			out = append(out, c)
		}
	}
	return out
}

// ChartSource says where the Istio charts come from: a chart repository at a
// pinned version, or a local directory (air-gapped clusters, and our tests).
type ChartSource struct {
	// Repo is the chart repository URL.
	Repo string
	// Version is the chart version in Repo (the Istio release).
	Version string
	// Dir is a local directory holding the charts, either as `helm pull --untar`
	// leaves them (base/, cni/, istiod/, gateway/) or in Istio's source layout
	// (manifests/charts/{base,istio-cni,istio-control/istio-discovery,gateway}). It wins over Repo.
	Dir string
}

// chartDirLayouts are the relative paths of each chart under ChartSource.Dir, per layout.
var chartDirLayouts = []map[IstioChart]string{
	{IstioChartBase: "base", IstioChartCNI: "cni", IstioChartIstiod: "istiod", IstioChartGateway: "gateway"},
	{IstioChartBase: "base", IstioChartCNI: "istio-cni", IstioChartIstiod: "istio-control/istio-discovery", IstioChartGateway: "gateway"},
	{IstioChartBase: "manifests/charts/base", IstioChartCNI: "manifests/charts/istio-cni", IstioChartIstiod: "manifests/charts/istio-control/istio-discovery", IstioChartGateway: "manifests/charts/gateway"},
}

// LocalChartPaths finds the given charts under dir, trying each known
// layout, and returns their paths, or an error saying what was looked for.
func LocalChartPaths(dir string, charts []IstioChart) (map[IstioChart]string, error) {
	var tried []string
	for _, layout := range chartDirLayouts {
		found := map[IstioChart]string{}
		var wanted []string
		for _, chart := range charts {
			wanted = append(wanted, layout[chart]+"/")
			p := filepath.Join(dir, layout[chart])
			if _, err := os.Stat(filepath.Join(p, "Chart.yaml")); err == nil {
				found[chart] = p
			}
		}
		if len(found) == len(charts) {
			return found, nil
		}
		tried = append(tried, strings.Join(wanted, ", "))
	}
	return nil, fmt.Errorf("no Istio charts under %s: looked for %s, each with a Chart.yaml",
		dir, strings.Join(tried, " or "))
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

// CNIArgs configure istio-cni, the node agent that sets up each pod's
// traffic redirection so injected pods need no NET_ADMIN/NET_RAW init
// container and can pass the "restricted" Pod Security Standard.
type CNIArgs struct {
	Enabled bool
	// Namespace of the node agent: it is privileged (host paths, host
	// network), so it gets its own namespace enforcing "privileged" and
	// nothing else runs there. On GKE use kube-system (see the README).
	Namespace string
	// Resources of the node agent's container.
	Resources Resources
}

// MeshSecurity is the mesh's security posture.
type MeshSecurity struct {
	// MTLS is the mesh-wide PeerAuthentication mode (STRICT by default).
	MTLS MTLSMode
	// DefaultDeny adds an allow-nothing AuthorizationPolicy to the app
	// namespace: only the ALLOW policies workloads add let requests in.
	DefaultDeny bool
	// NetworkPolicies deny all traffic in the app namespace but DNS, the
	// sidecars' control plane and telemetry, and what workloads allow.
	NetworkPolicies bool
	// AppPodSecurity and SystemPodSecurity are the Pod Security Standard
	// levels the app and control-plane namespaces enforce.
	AppPodSecurity    PodSecurityLevel
	SystemPodSecurity PodSecurityLevel
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
	// Platform selects the charts' platform profile (global.platform:
	// minikube, gke, k3s, ...); empty for none.
	Platform string
	// CNI installs istio-cni.
	CNI CNIArgs
	// Security is the mTLS, authorization, network and Pod Security posture.
	Security MeshSecurity
	// TopologySpread spreads istiod's and the gateway's replicas over zones and nodes.
	TopologySpread bool
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
	CNINamespace    *corev1.Namespace
	Base            *helmv3.Release
	CNI             *helmv3.Release
	Istiod          *helmv3.Release
	Gateway         *helmv3.Release
	IngressService  *Service
	// PeerAuthentication is the mesh-wide mTLS mode, AllowNothing the app
	// namespace's default-deny AuthorizationPolicy, NetworkPolicies the app
	// namespace's default-deny and baseline NetworkPolicies.
	PeerAuthentication *apiextensions.CustomResource
	AllowNothing       *apiextensions.CustomResource
	NetworkPolicies    []*networkingv1.NetworkPolicy

	// GatewayName is the ingress gateway's release and workload name.
	GatewayName string
	// GatewaySelector matches the ingress gateway's pods, for a Gateway resource.
	GatewaySelector map[string]string
	// GatewayNamespace and GatewayPrincipal say where the ingress gateway
	// runs and its mTLS identity, for the policies that let it in.
	GatewayNamespace string
	GatewayPrincipal string

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
	// Injection is what pods of the app namespace must wait for to join the
	// mesh: the istiod release (its injection webhook) and istio-cni's.
	Injection []pulumi.Resource

	// Revisions maps each release to its Helm revision.
	Revisions pulumi.IntMapOutput `pulumi:"revisions"`
	// Releases maps each installed release's name to its namespace.
	Releases pulumi.StringMapOutput `pulumi:"releases"`
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
	case a.CNI.Enabled && (a.CNI.Namespace == "" || a.CNI.Namespace == a.AppNamespace):
		return fmt.Errorf("istio mesh %q: istio-cni needs a namespace of its own, not %q", name, a.CNI.Namespace)
	case a.Security.AppPodSecurity == PodSecurityRestricted && !a.CNI.Enabled:
		// istio-init needs NET_ADMIN and NET_RAW, which "restricted" refuses.
		return fmt.Errorf("istio mesh %q: a restricted app namespace needs istio-cni", name)
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
	component := &IstioMesh{
		GatewayName:      GatewayReleaseName,
		GatewaySelector:  gatewaySelector(GatewayReleaseName),
		GatewayNamespace: args.Namespace,
		// The gateway chart names its ServiceAccount after the release.
		GatewayPrincipal: Principal(args.Namespace, GatewayReleaseName),
	}
	if err := ctx.RegisterComponentResource(IstioMeshToken, name, component, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(component)

	// Namespaces are Pulumi resources, not Helm's createNamespace: Helm never
	// deletes a namespace it created, so destroy would leave them behind.
	component.SystemNamespace, err = corev1.NewNamespace(ctx, args.Namespace, &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Annotations: ownedAnnotations(),
			Name:        pulumi.String(args.Namespace),
			Labels:      stringMap(podSecurityLabels(args.Security.SystemPodSecurity)),
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	component.AppNamespace, err = corev1.NewNamespace(ctx, args.AppNamespace, &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Annotations: ownedAnnotations(),
			Name:        pulumi.String(args.AppNamespace),
			Labels: stringMap(mergeMaps(args.AppNamespaceLabels, podSecurityLabels(args.Security.AppPodSecurity),
				map[string]string{InjectionLabel: "enabled"})),
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	if args.CNI.Enabled {
		// The node agent writes the CNI config on every node: it must be
		// privileged, so it is alone in a namespace that allows it.
		component.CNINamespace, err = corev1.NewNamespace(ctx, args.CNI.Namespace, &corev1.NamespaceArgs{
			Metadata: &metav1.ObjectMetaArgs{
				Annotations: ownedAnnotations(),
				Name:        pulumi.String(args.CNI.Namespace),
				Labels:      stringMap(podSecurityLabels(PodSecurityPrivileged)),
			},
		}, parent)
		if err != nil {
			return nil, err
		}
	}
	ns := component.SystemNamespace.Metadata.Name().Elem()

	meshConfig, err := args.meshConfigValues()
	if err != nil {
		return nil, fmt.Errorf("istio mesh %q: %w", name, err)
	}
	global := map[string]interface{}{"istioNamespace": args.Namespace}
	if args.Platform != "" {
		global["platform"] = args.Platform
	}
	runtimeDefault := map[string]interface{}{"type": "RuntimeDefault"}
	istiodValues := map[string]interface{}{
		"global": mergeMaps(global, map[string]interface{}{
			// Injected sidecars: the runtime's default seccomp profile.
			"proxy": map[string]interface{}{"seccompProfile": runtimeDefault},
		}),
		"autoscaleEnabled": false,
		"replicaCount":     args.IstiodReplicas,
		"traceSampling":    args.Tracing.SamplingPercent,
		"resources":        resourceValues(args.IstiodResources),
		"meshConfig":       meshConfig,
		"seccompProfile":   runtimeDefault,
		// With istio-cni the injector adds no privileged istio-init.
		"cni": map[string]interface{}{"enabled": args.CNI.Enabled},
	}
	gatewayValues := map[string]interface{}{
		// The Service is ours (below), so its type, node ports and
		// outputs are typed and awaited like every other Service.
		"service":      map[string]interface{}{"type": "None"},
		"autoscaling":  map[string]interface{}{"enabled": false},
		"replicaCount": args.Ingress.Replicas,
		"resources":    resourceValues(args.Ingress.Resources),
		// The chart's default pod securityContext is only the sysctl that
		// lets a non-root proxy bind :80; setting one replaces it, so it is
		// repeated next to the seccomp profile "restricted" asks for.
		"securityContext": map[string]interface{}{
			"seccompProfile": runtimeDefault,
			"sysctls":        []interface{}{map[string]interface{}{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}},
		},
	}
	if args.TopologySpread {
		istiodValues["topologySpreadConstraints"] = topologySpreadValues(map[string]string{"app": "istiod"})
		gatewayValues["topologySpreadConstraints"] = topologySpreadValues(component.GatewaySelector)
	}
	type release struct {
		chart     IstioChart
		namespace pulumi.StringInput
		values    map[string]interface{}
		target    **helmv3.Release
	}
	releases := []release{
		{IstioChartBase, ns, map[string]interface{}{"global": global}, &component.Base},
	}
	if args.CNI.Enabled {
		releases = append(releases, release{IstioChartCNI, component.CNINamespace.Metadata.Name().Elem(), map[string]interface{}{
			"global":    global,
			"resources": resourceValues(args.CNI.Resources),
		}, &component.CNI})
	}
	releases = append(releases,
		release{IstioChartIstiod, ns, istiodValues, &component.Istiod},
		release{IstioChartGateway, ns, gatewayValues, &component.Gateway},
	)
	// What each release waits for, besides its namespace: the CRDs (base)
	// before anything, istiod before the gateway (whose pods it injects).
	// istio-cni and istiod only need base, so they install side by side.
	after := map[IstioChart][]IstioChart{
		IstioChartCNI:     {IstioChartBase},
		IstioChartIstiod:  {IstioChartBase},
		IstioChartGateway: {IstioChartIstiod},
	}
	installed := map[IstioChart]*helmv3.Release{}
	revisions := pulumi.IntMap{}
	releaseNamespaces := pulumi.StringMap{}
	for _, r := range releases {
		name := ReleaseName(r.chart)
		if args.SkipReleases {
			component.SkippedReleases = append(component.SkippedReleases, name)
			continue
		}
		ref := charts[r.chart]
		deps := []pulumi.Resource{component.SystemNamespace}
		if r.chart == IstioChartCNI {
			deps = append(deps, component.CNINamespace)
		}
		for _, c := range after[r.chart] {
			deps = append(deps, installed[c])
		}
		release, err := helmv3.NewRelease(ctx, name, &helmv3.ReleaseArgs{
			// An explicit name: without it the provider appends a random suffix.
			Name:           pulumi.String(name),
			Namespace:      r.namespace,
			Chart:          pulumi.String(ref.chart),
			Version:        optionalString(ref.version),
			RepositoryOpts: ref.repositoryOpts(),
			Values:         pulumi.ToMap(r.values),
			// Roll a failed upgrade's new objects back, and keep the history short.
			CleanupOnFail: pulumi.Bool(true),
			MaxHistory:    pulumi.Int(10),
			Timeout:       optionalInt(args.TimeoutSeconds),
		}, parent, pulumi.DependsOn(deps))
		if err != nil {
			return nil, err
		}
		*r.target = release
		installed[r.chart] = release
		revisions[string(r.chart)] = release.Status.Revision().Elem()
		releaseNamespaces[name] = release.Status.Namespace().Elem()
	}
	component.CRDs = component.SystemNamespace
	if component.Base != nil {
		component.CRDs = component.Base
	}
	// Pods of the app namespace get their sidecar from istiod's injection
	// webhook, and with istio-cni their traffic redirection from its node
	// agent: created before either is ready, they would run without.
	for _, r := range []*helmv3.Release{component.Istiod, component.CNI} {
		if r != nil {
			component.Injection = append(component.Injection, r)
		}
	}
	var ingressAfter pulumi.Resource = component.SystemNamespace
	if component.Gateway != nil {
		ingressAfter = component.Gateway
	}
	if err := component.securityPolicies(ctx, args, parent); err != nil {
		return nil, err
	}

	ingress, err := NewService(ctx, GatewayReleaseName, &ServiceArgs{
		Namespace: ns,
		Type:      args.Ingress.Type,
		Selector:  mergeMaps(component.GatewaySelector, map[string]string{"app": GatewayReleaseName}),
		Ports: []ServicePort{
			// http2 first: the component's NodePort and URL outputs follow the first port.
			{Name: "http2", Port: 80, TargetPort: 80, NodePort: args.Ingress.HTTPNodePort},
			{Name: "https", Port: 443, TargetPort: 443},
			{Name: "status-port", Port: 15021, TargetPort: 15021},
		},
		Labels: mergeMaps(component.GatewaySelector, map[string]string{"app": GatewayReleaseName}),
		// The gateway release waited for its pods; a LoadBalancer is still
		// awaited for its address (the ingressUrl output).
		SkipAwait: args.Ingress.Type != ServiceTypeLoadBalancer,
	}, parent, pulumi.DependsOn([]pulumi.Resource{ingressAfter}))
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
	component.Releases = releaseNamespaces.ToStringMapOutput()

	if err := ctx.RegisterResourceOutputs(component, pulumi.Map{
		"namespace":    component.Namespace,
		"appNamespace": component.AppNamespaceName,
		"ingressHost":  component.IngressHost,
		"ingressPort":  component.IngressPort,
		"ingressUrl":   component.IngressURL,
		"revisions":    component.Revisions,
		"releases":     component.Releases,
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
		paths, err := LocalChartPaths(a.Charts.Dir, a.InstalledCharts())
		if err != nil {
			return nil, err
		}
		for chart, p := range paths {
			refs[chart] = chartRef{chart: p}
		}
		return refs, nil
	}
	for _, chart := range a.InstalledCharts() {
		refs[chart] = chartRef{chart: string(chart), version: a.Charts.Version, repo: a.Charts.Repo}
	}
	return refs, nil
}

// meshConfigValues builds istiod's meshConfig from Istio's own MeshConfig type.
func (a *IstioMeshArgs) meshConfigValues() (map[string]interface{}, error) {
	mc := &meshv1alpha1.MeshConfig{
		TrustDomain:   TrustDomain,
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

// Ports the app namespace's baseline NetworkPolicy opens for every pod.
const (
	// dnsPort is the cluster DNS.
	dnsPort = 53
	// istiodXDSPort is istiod's xDS and certificate service, which every sidecar dials.
	istiodXDSPort = 15012
	// sidecarMetricsPort is the sidecar agent's merged Prometheus endpoint
	// and envoyStatsPort Envoy's own; Prometheus scrapes them, outside mTLS.
	sidecarMetricsPort = 15020
	envoyStatsPort     = 15090
)

// securityPolicies registers the mesh-wide mTLS mode and, in the app
// namespace, the default-deny AuthorizationPolicy and NetworkPolicies that
// workloads open up with their own ALLOW rules.
func (c *IstioMesh) securityPolicies(ctx *pulumi.Context, args *IstioMeshArgs, parent pulumi.ResourceOption) error {
	afterCRDs := pulumi.DependsOn([]pulumi.Resource{c.CRDs})
	sec := args.Security
	mode := sec.MTLS
	if mode == "" {
		mode = MTLSStrict
	}
	var err error
	// In the root namespace (istiod's), a PeerAuthentication is mesh-wide.
	c.PeerAuthentication, err = peerAuthentication(ctx, "mesh-mtls", "default", c.SystemNamespace.Metadata.Name().Elem(), nil, mode, parent, afterCRDs)
	if err != nil {
		return err
	}
	appNS := c.AppNamespace.Metadata.Name().Elem()
	if sec.DefaultDeny {
		// An ALLOW policy with no rules matches nothing: with it, a request
		// is allowed only when another policy allows it.
		c.AllowNothing, err = newIstioResource(ctx, "allow-nothing", istioResource{
			apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", name: "allow-nothing", namespace: appNS,
			spec: &securityv1.AuthorizationPolicy{Action: securityv1.AuthorizationPolicy_ALLOW},
		}, parent, afterCRDs)
		if err != nil {
			return err
		}
	}
	if !sec.NetworkPolicies {
		return nil
	}
	both := []string{"Ingress", "Egress"}
	deny, err := networkPolicy(ctx, "default-deny", "default-deny", appNS, nil, nil, nil, both, parent)
	if err != nil {
		return err
	}
	telemetryPorts := []int{sidecarMetricsPort, envoyStatsPort}
	egressToMesh := []int{istiodXDSPort}
	if args.Tracing.CollectorPort != 0 {
		// Sidecars send spans to the collector; apps export to its OTLP/HTTP port.
		egressToMesh = append(egressToMesh, args.Tracing.CollectorPort, JaegerOTLPHTTPPort)
	}
	baseline, err := networkPolicy(ctx, "mesh-baseline", "mesh-baseline", appNS, nil,
		[]flow{{peers: []peer{{namespace: args.Namespace}}, ports: telemetryPorts}},
		[]flow{
			{peers: []peer{{namespace: "kube-system"}}, ports: []int{dnsPort}, udp: true},
			{peers: []peer{{namespace: args.Namespace}}, ports: egressToMesh},
		}, both, parent)
	if err != nil {
		return err
	}
	c.NetworkPolicies = []*networkingv1.NetworkPolicy{deny, baseline}
	return nil
}

// topologySpreadValues spread a chart's replicas over zones, then nodes,
// as a preference: a single-zone or single-node cluster still schedules them.
func topologySpreadValues(selector map[string]string) []interface{} {
	var out []interface{}
	for _, key := range TopologyKeys() {
		labels := map[string]interface{}{}
		for k, v := range selector {
			labels[k] = v
		}
		out = append(out, map[string]interface{}{
			"maxSkew":           1,
			"topologyKey":       key,
			"whenUnsatisfiable": "ScheduleAnyway",
			"labelSelector":     map[string]interface{}{"matchLabels": labels},
		})
	}
	return out
}

// IstioPlatforms are the platform profiles the pinned Istio charts ship
// (files/profile-platform-<name>.yaml), for global.platform.
func IstioPlatforms() []string {
	return []string{"gke", "k3d", "k3s", "microk8s", "minikube", "openshift"}
}
