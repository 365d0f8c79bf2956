package components

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/components/helmrelease"
	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// IstioChart names one of the four Istio charts the mesh installs.
type IstioChart string

// The Istio charts, in install order.
const (
	IstioChartBase    IstioChart = "base"
	IstioChartCNI     IstioChart = "cni"
	IstioChartIstiod  IstioChart = "istiod"
	IstioChartGateway IstioChart = "gateway"
)

// IstioCharts lists the charts in install order.
func IstioCharts() []IstioChart {
	return []IstioChart{IstioChartBase, IstioChartCNI, IstioChartIstiod, IstioChartGateway}
}

// installedCharts lists the charts a mesh installs, in order: the CNI
// chart only with istio-cni, the gateway chart only when asked for.
func installedCharts(cni, gateway bool) []IstioChart {
	var out []IstioChart
	for _, c := range IstioCharts() {
		if (c != IstioChartCNI || cni) && (c != IstioChartGateway || gateway) {
			out = append(out, c)
		}
	}
	return out
}

// GatewayReleaseName is the ingress gateway's release name. The gateway chart
// labels its pods istio: <release name without "istio-">, so it must be
// fixed: a generated name would silently break every Gateway selector.
const GatewayReleaseName = "istio-ingressgateway"

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

// ChartSource says where the Istio charts come from: a chart repository at
// a pinned version (`istio:chartRepo`, `istio:version`), or a local
// directory (`istio:chartDir`: air-gapped clusters, and our tests).
type ChartSource struct {
	// Repo is the chart repository URL.
	Repo string `json:"chartRepo"`
	// AllowHTTP accepts a plain http:// Repo: off, only TLS (https://,
	// oci://) is accepted, as a chart fetched in plain text can be altered
	// on the way and it installs cluster-wide objects.
	AllowHTTP bool `json:"chartRepoAllowHTTP"`
	// Version is the chart version in Repo (the Istio release).
	Version string `json:"version"`
	// Dir is a local directory holding the charts, either as `helm pull --untar`
	// leaves them (base/, cni/, istiod/, gateway/) or in Istio's source layout
	// (manifests/charts/{base,istio-cni,istio-control/istio-discovery,gateway}). It wins over Repo.
	Dir string `json:"chartDir"`
}

// defaultChartSource is the pinned Istio release in its chart repository.
func defaultChartSource() ChartSource {
	return ChartSource{Repo: playk8s.Version("ISTIO_CHART_REPO"), Version: playk8s.Version("ISTIO_VERSION")}
}

// validate refuses a source Helm could not install the charts from: the
// repository and version when they are used, the directory when it is.
// Credentials in the repository URL are refused even when the directory
// is used: the URL is stored in plain text all the same.
func (c ChartSource) validate(charts []IstioChart) field.ErrorList {
	errs := rule.URLWithoutCredentials(field.NewPath("chartRepo"), c.Repo)
	if c.Dir != "" {
		if pathErrs := rule.LocalPath(field.NewPath("chartDir"), c.Dir); len(pathErrs) > 0 {
			return append(errs, pathErrs...)
		}
		if _, err := LocalChartPaths(c.Dir, charts); err != nil {
			return append(errs, rule.Refuse(field.NewPath("chartDir"), c.Dir, "directory holding the Istio charts ("+err.Error()+")")...)
		}
		return errs
	}
	if len(errs) == 0 {
		errs = rule.ChartRepo(field.NewPath("chartRepo"), c.Repo, c.AllowHTTP, field.NewPath("chartRepoAllowHTTP"))
	}
	return append(errs, rule.ChartVersion(field.NewPath("version"), c.Version)...)
}

// ImageSource says where the charts' images come from: Istio's
// global.hub and global.tag, given to every chart that runs a pod. Empty
// keeps each chart's own (Istio's registry at the chart's version); air-
// gapped clusters point the hub at their mirror.
type ImageSource struct {
	// Hub is a registry and path, the images are <hub>/<name>:<tag>.
	Hub string `json:"hub"`
	// Tag is the images' tag.
	Tag string `json:"tag"`
}

func (i ImageSource) validate() field.ErrorList {
	errs := rule.ImageHub(field.NewPath("hub"), i.Hub)
	return append(errs, rule.ImageTag(field.NewPath("tag"), i.Tag)...)
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

// chartRef is where one release's chart comes from.
type chartRef struct {
	chart, version, repo string
}

func (c chartRef) repositoryOpts() *helmrelease.RepositoryOpts {
	if c.repo == "" {
		return nil
	}
	return &helmrelease.RepositoryOpts{Repo: &c.repo}
}

// refs resolves each chart to its local path, or its name in the repository.
func (c ChartSource) refs(charts []IstioChart) (map[IstioChart]chartRef, error) {
	refs := map[IstioChart]chartRef{}
	if c.Dir != "" {
		paths, err := LocalChartPaths(c.Dir, charts)
		if err != nil {
			return nil, err
		}
		for chart, p := range paths {
			refs[chart] = chartRef{chart: p}
		}
		return refs, nil
	}
	for _, chart := range charts {
		refs[chart] = chartRef{chart: string(chart), version: c.Version, repo: c.Repo}
	}
	return refs, nil
}
