package components

import (
	"fmt"

	"github.com/play-kubernetes/play-kubernetes/components/helmrelease"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// releaseOrder is what each release waits for, besides its namespace: the
// CRDs (base) before anything, istiod before the gateway (whose pods it
// injects). istio-cni and istiod only need base, so they install side by
// side. With revisions, every istiod release and the revision tags'
// webhooks come before the gateway.
var releaseOrder = map[IstioChart][]IstioChart{
	IstioChartCNI:     {IstioChartBase},
	IstioChartIstiod:  {IstioChartBase},
	IstioChartGateway: {IstioChartIstiod},
}

// releases registers one Helm release per installed chart (one per istiod
// revision), in order, with the revision tags' webhooks before the
// gateway, or records the releases as skipped in render mode.
func (c *IstioMesh) releases(ctx *pulumi.Context, args *IstioMeshArgs, charts map[IstioChart]chartRef, values map[IstioChart]values, parent pulumi.ResourceOption) error {
	s := args.Spec
	set := &releaseSet{installed: map[IstioChart][]pulumi.Resource{}, revisions: pulumi.IntMap{}, namespaces: pulumi.StringMap{}}
	c.Istiods = map[string]*helmrelease.Release{}
	for _, chart := range s.installedCharts() {
		switch chart {
		case IstioChartIstiod:
			for _, istiod := range s.istiods() {
				ref := charts[chart]
				if len(s.Revisions) > 0 {
					refs, err := istiod.source.refs([]IstioChart{IstioChartIstiod})
					if err != nil {
						return fmt.Errorf("istiod revision %q: %w", istiod.revision, err)
					}
					ref = refs[IstioChartIstiod]
				}
				// istiod serves the Gateway API when its CRDs are there at start.
				release, err := c.release(ctx, args, set, chart, istiod.release, ref, args.istiodRevisionValues(values[chart], istiod.revision), parent, c.GatewayAPI...)
				if err != nil {
					return err
				}
				if release != nil {
					c.Istiods[istiod.revision] = release
				}
			}
			if err := c.revisionTags(ctx, s, parent); err != nil {
				return err
			}
		case IstioChartGateway:
			// Its pods are injected through the tag the app selects.
			if _, err := c.release(ctx, args, set, chart, ReleaseName(chart), charts[chart], values[chart], parent, c.tagWebhookResources()...); err != nil {
				return err
			}
		default:
			if _, err := c.release(ctx, args, set, chart, ReleaseName(chart), charts[chart], values[chart], parent); err != nil {
				return err
			}
		}
	}
	c.Base, c.CNI, c.Istiod = first(set.installed[IstioChartBase]), first(set.installed[IstioChartCNI]), c.Istiods[s.AppIstiodRevision()]
	c.Gateway = first(set.installed[IstioChartGateway])
	c.Revisions = set.revisions.ToIntMapOutput()
	c.Releases = set.namespaces.ToStringMapOutput()
	return nil
}

// releaseSet is what the registered releases add up to: each chart's
// releases (what the next charts wait for), and each release's Helm
// revision and namespace (the outputs).
type releaseSet struct {
	installed  map[IstioChart][]pulumi.Resource
	revisions  pulumi.IntMap
	namespaces pulumi.StringMap
}

// release registers one Helm release of a chart after its namespace, the
// releases of the charts it follows (releaseOrder) and extra; nil in
// render mode, where it is recorded as skipped.
func (c *IstioMesh) release(ctx *pulumi.Context, args *IstioMeshArgs, set *releaseSet, chart IstioChart, name string, ref chartRef, v values, parent pulumi.ResourceOption, extra ...pulumi.Resource) (*helmrelease.Release, error) {
	if args.SkipReleases {
		c.SkippedReleases = append(c.SkippedReleases, name)
		return nil, nil
	}
	ns := c.SystemNamespace.Metadata.Name().Elem()
	deps := append([]pulumi.Resource{c.SystemNamespace}, extra...)
	if chart == IstioChartCNI {
		ns = pulumi.String(args.Spec.CNI.Namespace).ToStringOutput()
		if c.CNINamespace != nil {
			ns = c.CNINamespace.Metadata.Name().Elem()
			deps = append(deps, c.CNINamespace)
		}
	}
	for _, before := range releaseOrder[chart] {
		deps = append(deps, set.installed[before]...)
	}
	release, err := helmrelease.NewRelease(ctx, name, &helmrelease.ReleaseArgs{
		// An explicit name: without it the provider appends a random suffix.
		Name:           pulumi.String(name),
		Namespace:      ns,
		Chart:          pulumi.String(ref.chart),
		Version:        optionalString(ref.version),
		RepositoryOpts: ref.repositoryOpts(),
		Values:         pulumi.ToMap(v),
		// Roll a failed upgrade's new objects back, and keep the history short.
		CleanupOnFail: pulumi.Bool(true),
		MaxHistory:    pulumi.Int(10),
		Timeout:       optionalInt(args.Spec.TimeoutSeconds),
	}, parent, pulumi.DependsOn(deps))
	if err != nil {
		return nil, err
	}
	set.installed[chart] = append(set.installed[chart], release)
	// The istiod revisions are told apart by release name.
	key := string(chart)
	if chart == IstioChartIstiod && name != ReleaseName(IstioChartIstiod) {
		key = name
	}
	set.revisions[key] = release.Status.Revision().Elem()
	set.namespaces[name] = release.Status.Namespace().Elem()
	return release, nil
}

// first is a chart's only release, or nil.
func first(releases []pulumi.Resource) *helmrelease.Release {
	if len(releases) == 0 {
		return nil
	}
	return releases[0].(*helmrelease.Release)
}
