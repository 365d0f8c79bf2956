package components

import (
	"github.com/play-kubernetes/play-kubernetes/components/internal/istiodashboards"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Where Grafana finds Istio's dashboards: its dashboard providers are read
// from provisioning/dashboards, and the one provider here loads every
// file of grafanaDashboardsPath into the folder "istio", as Istio's
// Grafana addon does.
const (
	grafanaProvidersPath  = "/etc/grafana/provisioning/dashboards"
	grafanaDashboardsPath = "/etc/grafana/dashboards/istio"
	grafanaDashboardsName = "istio-grafana-dashboards"
)

// istioDashboards registers Istio's dashboards for Grafana in namespace
// ns: a ConfigMap holding the four (compacted; embedded from the pinned
// istio.io/istio module, see istiodashboards) and the provider that
// points Grafana at them, and returns the two mounts.
func istioDashboards(ctx *pulumi.Context, ns pulumi.StringInput, parent pulumi.ResourceOption) ([]configMount, error) {
	data := pulumi.StringMap{}
	for _, name := range istiodashboards.Files() {
		dashboard, err := istiodashboards.Compact(name)
		if err != nil {
			return nil, err
		}
		data[name] = pulumi.String(dashboard)
	}
	dashboards, err := corev1.NewConfigMap(ctx, grafanaDashboardsName, &corev1.ConfigMapArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String(grafanaDashboardsName), Namespace: ns, Labels: pulumi.StringMap{"app": pulumi.String("grafana")}},
		Data:     data,
	}, parent)
	if err != nil {
		return nil, err
	}
	providers, err := renderYAML(map[string]interface{}{
		"apiVersion": 1,
		"providers": []interface{}{map[string]interface{}{
			"name": "istio", "orgId": 1, "folder": "istio", "type": "file",
			// The files are the module's: a change made in the UI could not be kept.
			"disableDeletion": true, "allowUiUpdates": false,
			"options": map[string]interface{}{"path": grafanaDashboardsPath},
		}},
	})
	if err != nil {
		return nil, err
	}
	provider, err := corev1.NewConfigMap(ctx, "grafana-dashboard-providers", &corev1.ConfigMapArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String("grafana-dashboard-providers"), Namespace: ns, Labels: pulumi.StringMap{"app": pulumi.String("grafana")}},
		Data:     pulumi.StringMap{"dashboards.yaml": pulumi.String(providers)},
	}, parent)
	if err != nil {
		return nil, err
	}
	return []configMount{
		{volume: "dashboard-providers", configMap: provider, path: grafanaProvidersPath},
		{volume: "istio-dashboards", configMap: dashboards, path: grafanaDashboardsPath},
	}, nil
}
