package components

import (
	"fmt"

	"github.com/play-kubernetes/play-kubernetes/components/helmrelease"
	admissionregistrationv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/admissionregistration/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// istioInstall is what installing Istio registered: one Helm release per
// installed chart (one per istiod revision), the revision tags' webhooks
// between the istiods and the gateway, and the releases render mode left
// out.
type istioInstall struct {
	base, cni, gateway *helmrelease.Release
	// istiods are the istiod releases by revision ("" for the revision-less one).
	istiods map[string]*helmrelease.Release
	// revisionTags are the tags' injection webhooks, by tag.
	revisionTags map[string]*admissionregistrationv1.MutatingWebhookConfiguration
	// releases are the registered releases in install order, for the outputs.
	releases []installedRelease
	// skipped names the releases not registered (render mode), in install order.
	skipped []string
}

// installedRelease is one registered release and the key its Helm
// revision is reported under.
type installedRelease struct {
	// revisionKey is the chart, or for an istiod revision its release
	// name: the istiod revisions are told apart by release name.
	revisionKey string
	name        string
	release     *helmrelease.Release
}

// installInputs are what the releases are made of and where they go.
type installInputs struct {
	charts     map[IstioChart]chartRef
	values     map[IstioChart]values
	namespaces meshNamespaces
	// gatewayAPI is the Gateway API's standard channel (gateway-api ingress
	// only): istiod serves the Gateway API when its CRDs are there at start.
	gatewayAPI []pulumi.Resource
}

// installIstio registers the releases in order, each after its namespace:
// base (the CRDs) before anything; istio-cni and every istiod side by
// side after it (each istiod also after the Gateway API's CRDs); the
// revision tags' webhooks after the istiods they point at; the gateway,
// whose pods istiod injects through the tag the app selects, after every
// istiod and tag. In render mode (SkipReleases) no release is registered,
// only the tags' webhooks.
func installIstio(ctx *pulumi.Context, a *IstioMeshArgs, in installInputs, parent pulumi.ResourceOption) (istioInstall, error) {
	s := a.Spec
	if a.SkipReleases {
		tags, err := newRevisionTags(ctx, s, in.namespaces.system, nil, parent)
		return istioInstall{istiods: map[string]*helmrelease.Release{}, revisionTags: tags, skipped: s.releaseNames()}, err
	}
	system := in.namespaces.system
	release := func(chart IstioChart) istioRelease {
		return istioRelease{
			name: ReleaseName(chart), namespace: in.namespaces.systemName(),
			chart: in.charts[chart], values: in.values[chart], timeoutSeconds: s.TimeoutSeconds,
		}
	}
	out := istioInstall{istiods: map[string]*helmrelease.Release{}}
	var err error
	if out.base, err = newIstioRelease(ctx, release(IstioChartBase), parent, pulumi.DependsOn([]pulumi.Resource{system})); err != nil {
		return istioInstall{}, err
	}
	out.releases = append(out.releases, installedRelease{revisionKey: string(IstioChartBase), name: ReleaseName(IstioChartBase), release: out.base})
	if s.CNI.Enabled {
		r := release(IstioChartCNI)
		r.namespace = pulumi.String(s.CNI.Namespace)
		deps := []pulumi.Resource{system}
		if cniNS := in.namespaces.cni; cniNS != nil {
			r.namespace = cniNS.Metadata.Name().Elem()
			deps = append(deps, cniNS)
		}
		if out.cni, err = newIstioRelease(ctx, r, parent, pulumi.DependsOn(append(deps, out.base))); err != nil {
			return istioInstall{}, err
		}
		out.releases = append(out.releases, installedRelease{revisionKey: string(IstioChartCNI), name: ReleaseName(IstioChartCNI), release: out.cni})
	}
	var istiods []pulumi.Resource
	for _, istiod := range s.istiods() {
		r := release(IstioChartIstiod)
		r.name, r.values = istiod.release, a.istiodRevisionValues(r.values, istiod.revision)
		if len(s.Revisions) > 0 {
			refs, err := istiod.source.refs([]IstioChart{IstioChartIstiod})
			if err != nil {
				return istioInstall{}, fmt.Errorf("istiod revision %q: %w", istiod.revision, err)
			}
			r.chart = refs[IstioChartIstiod]
		}
		deps := append(append([]pulumi.Resource{system}, in.gatewayAPI...), out.base)
		istiodRelease, err := newIstioRelease(ctx, r, parent, pulumi.DependsOn(deps))
		if err != nil {
			return istioInstall{}, err
		}
		out.istiods[istiod.revision] = istiodRelease
		istiods = append(istiods, istiodRelease)
		// The revision-less istiod's release name is its chart's.
		out.releases = append(out.releases, installedRelease{revisionKey: istiod.release, name: istiod.release, release: istiodRelease})
	}
	if out.revisionTags, err = newRevisionTags(ctx, s, system, out.istiods, parent); err != nil {
		return istioInstall{}, err
	}
	if s.Ingress.API != IngressAPIGateway {
		deps := append(append([]pulumi.Resource{system}, tagWebhookResources(out.revisionTags)...), istiods...)
		if out.gateway, err = newIstioRelease(ctx, release(IstioChartGateway), parent, pulumi.DependsOn(deps)); err != nil {
			return istioInstall{}, err
		}
		out.releases = append(out.releases, installedRelease{revisionKey: string(IstioChartGateway), name: ReleaseName(IstioChartGateway), release: out.gateway})
	}
	return out, nil
}

// helmRevisions maps each release's chart (istiod revisions: release
// name) to its Helm revision.
func (i istioInstall) helmRevisions() pulumi.IntMapOutput {
	out := pulumi.IntMap{}
	for _, r := range i.releases {
		out[r.revisionKey] = r.release.Status.Revision().Elem()
	}
	return out.ToIntMapOutput()
}

// releaseNamespaces maps each release's name to its namespace.
func (i istioInstall) releaseNamespaces() pulumi.StringMapOutput {
	out := pulumi.StringMap{}
	for _, r := range i.releases {
		out[r.name] = r.release.Status.Namespace().Elem()
	}
	return out.ToStringMapOutput()
}

// releaseNames are the Helm releases the spec installs, in install order.
func (s IstioMeshSpec) releaseNames() []string {
	var out []string
	for _, chart := range s.installedCharts() {
		if chart != IstioChartIstiod {
			out = append(out, ReleaseName(chart))
			continue
		}
		for _, istiod := range s.istiods() {
			out = append(out, istiod.release)
		}
	}
	return out
}

// istioRelease is one Helm release of an Istio chart.
type istioRelease struct {
	name           string
	namespace      pulumi.StringInput
	chart          chartRef
	values         values
	timeoutSeconds int
}

// newIstioRelease registers one Helm release.
func newIstioRelease(ctx *pulumi.Context, r istioRelease, opts ...pulumi.ResourceOption) (*helmrelease.Release, error) {
	return helmrelease.NewRelease(ctx, r.name, &helmrelease.ReleaseArgs{
		// An explicit name: without it the provider appends a random suffix.
		Name:           pulumi.String(r.name),
		Namespace:      r.namespace,
		Chart:          pulumi.String(r.chart.chart),
		Version:        optionalString(r.chart.version),
		RepositoryOpts: r.chart.repositoryOpts(),
		Values:         pulumi.ToMap(r.values),
		// Roll a failed upgrade's new objects back, and keep the history short.
		CleanupOnFail: pulumi.Bool(true),
		MaxHistory:    pulumi.Int(10),
		Timeout:       optionalInt(r.timeoutSeconds),
	}, opts...)
}

// istioAPI is what Istio's custom resources wait for: the base release
// (the CRDs) and every istiod, each one's validation webhook judging
// them; the control plane's namespace when no release is registered
// (render mode).
func (i istioInstall) istioAPI(s IstioMeshSpec, system *corev1.Namespace) []pulumi.Resource {
	out := []pulumi.Resource{system}
	if i.base != nil {
		out = []pulumi.Resource{i.base}
	}
	for _, istiod := range s.istiods() {
		if r := i.istiods[istiod.revision]; r != nil {
			out = append(out, r)
		}
	}
	return out
}

// injector is what pods of the app namespace wait for when injection is
// on (sidecars, or proxyless workloads): the injection webhook of the tag
// they select (with revisions), the istiod they run on, and istio-cni's
// node agent (their traffic redirection, which it leaves out for
// proxyless pods); nil when nothing is injected.
func (i istioInstall) injector(s IstioMeshSpec, proxyless bool) []pulumi.Resource {
	if !s.SidecarInjection && !proxyless {
		return nil
	}
	var out []pulumi.Resource
	if tag := i.revisionTags[s.AppRevision]; tag != nil {
		out = append(out, tag)
	}
	for _, r := range []*helmrelease.Release{i.istiods[s.AppIstiodRevision()], i.cni} {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}
