package components_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/components/internal/istiodashboards"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
	"sigs.k8s.io/yaml"
)

func grafanaSpec(dashboards bool) components.TelemetrySpec {
	spec := telemetrySpec()
	spec.GrafanaSpec.Enabled, spec.Dashboards = true, dashboards
	return spec
}

// grafanaMounts maps each ConfigMap Grafana's pod mounts to the path it is
// mounted at.
func grafanaMounts(t *testing.T, mocks *pulumimock.Mocks) map[string]string {
	t.Helper()
	d := mocks.Find(t, deploymentType, "grafana")
	volumes := map[string]string{} // volume -> ConfigMap
	for _, v := range d.Get("spec.template.spec.volumes").([]interface{}) {
		vol := v.(map[string]interface{})
		if cm, ok := vol["configMap"].(map[string]interface{}); ok {
			volumes[vol["name"].(string)] = cm["name"].(string)
		}
	}
	out := map[string]string{}
	for _, m := range d.Get("spec.template.spec.containers.0.volumeMounts").([]interface{}) {
		mount := m.(map[string]interface{})
		if cm, ok := volumes[mount["name"].(string)]; ok {
			out[cm] = mount["mountPath"].(string)
		}
	}
	return out
}

// TestGrafanaProvisionsIstiosDashboards: with telemetry:grafanaDashboards,
// one ConfigMap holds Istio's four dashboards as the pinned module has
// them (compacted), Grafana mounts it where its one dashboard provider
// reads, and mounts the provider where Grafana reads providers.
func TestGrafanaProvisionsIstiosDashboards(t *testing.T) {
	mocks, _ := runTelemetry(t, grafanaSpec(true))
	cm := mocks.Find(t, "kubernetes:core/v1:ConfigMap", "istio-grafana-dashboards")
	data := cm.Get("data").(map[string]interface{})
	var keys []string
	for k := range data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"istio-mesh-dashboard.gen.json", "istio-service-dashboard.json", "istio-workload-dashboard.json", "pilot-dashboard.gen.json"}
	if !slices.Equal(keys, want) {
		t.Fatalf("the dashboards ConfigMap holds %v, want the mesh, service, workload and control plane dashboards %v", keys, want)
	}
	titles := map[string]bool{}
	for _, name := range want {
		compact, err := istiodashboards.Compact(name)
		if err != nil {
			t.Fatal(err)
		}
		if data[name] != compact {
			t.Errorf("%s is not the pinned module's dashboard", name)
		}
		var d struct {
			Title string `json:"title"`
		}
		if err := json.Unmarshal([]byte(data[name].(string)), &d); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		titles[d.Title] = true
	}
	for _, title := range []string{"Istio Mesh Dashboard", "Istio Service Dashboard", "Istio Workload Dashboard", "Istio Control Plane Dashboard"} {
		if !titles[title] {
			t.Errorf("no dashboard titled %q", title)
		}
	}

	var providers struct {
		Providers []struct {
			Name, Type, Folder string
			Options            struct{ Path string }
		} `json:"providers"`
	}
	provider := mocks.Find(t, "kubernetes:core/v1:ConfigMap", "grafana-dashboard-providers")
	if err := yaml.Unmarshal([]byte(provider.Get("data").(map[string]interface{})["dashboards.yaml"].(string)), &providers); err != nil {
		t.Fatal(err)
	}
	if len(providers.Providers) != 1 || providers.Providers[0].Type != "file" {
		t.Fatalf("dashboard providers = %+v, want one file provider", providers.Providers)
	}
	mounts := grafanaMounts(t, mocks)
	if path := providers.Providers[0].Options.Path; path == "" || mounts["istio-grafana-dashboards"] != path {
		t.Errorf("the provider reads %q; the dashboards are mounted at %q", path, mounts["istio-grafana-dashboards"])
	}
	if got := mounts["grafana-dashboard-providers"]; got != "/etc/grafana/provisioning/dashboards" {
		t.Errorf("the provider is mounted at %q, not where Grafana reads dashboard providers", got)
	}
}

// TestIstioDashboardsFindTheirDataSource: the dashboards query the default
// Prometheus data source (their datasource variable) and name it where a
// variable does; Grafana's data sources have that default and those names.
func TestIstioDashboardsFindTheirDataSource(t *testing.T) {
	mocks, _ := runTelemetry(t, grafanaSpec(true))
	var ds struct {
		Datasources []struct {
			Name, Type string
			IsDefault  bool `json:"isDefault"`
		} `json:"datasources"`
	}
	cm := mocks.Find(t, "kubernetes:core/v1:ConfigMap", "grafana-datasources")
	if err := yaml.Unmarshal([]byte(cm.Get("data").(map[string]interface{})["datasources.yaml"].(string)), &ds); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	defaultType := ""
	for _, d := range ds.Datasources {
		names[d.Name] = d.Type
		if d.IsDefault {
			defaultType = d.Type
		}
	}
	if defaultType != "prometheus" {
		t.Errorf("the default data source is of type %q; the dashboards' datasource variable picks the default prometheus one", defaultType)
	}
	named := 0
	for _, file := range istiodashboards.Files() {
		raw, err := istiodashboards.Read(file)
		if err != nil {
			t.Fatal(err)
		}
		var dashboard interface{}
		if err := json.Unmarshal(raw, &dashboard); err != nil {
			t.Fatal(err)
		}
		for _, ref := range datasourceRefs(dashboard) {
			switch r := ref.(type) {
			case string: // by name
				named++
				if names[r] != "prometheus" {
					t.Errorf("%s names the data source %q; Grafana has %v", file, r, names)
				}
			case map[string]interface{}: // by type and uid
				switch typ, uid := r["type"], r["uid"]; {
				case typ == "prometheus" && (uid == "${datasource}" || uid == "$datasource"): // the variable
				case typ == "datasource" && (uid == "grafana" || uid == "-- Mixed --"): // Grafana's built-in ones
				default:
					t.Errorf("%s refers to the %v data source uid %v, which Grafana does not have", file, typ, uid)
				}
			}
		}
	}
	if named == 0 {
		t.Error("no dashboard names a data source: this test checks nothing by name")
	}
}

// datasourceRefs are the values of every "datasource" key in a decoded dashboard.
func datasourceRefs(v interface{}) []interface{} {
	var out []interface{}
	switch x := v.(type) {
	case map[string]interface{}:
		for k, child := range x {
			if k == "datasource" {
				out = append(out, child)
				continue
			}
			out = append(out, datasourceRefs(child)...)
		}
	case []interface{}:
		for _, child := range x {
			out = append(out, datasourceRefs(child)...)
		}
	}
	return out
}

// TestGrafanaWithoutDashboardsIsUnchanged: Grafana without
// telemetry:grafanaDashboards registers no dashboards and mounts what it
// did before (a stack running Grafana today previews no change).
func TestGrafanaWithoutDashboardsIsUnchanged(t *testing.T) {
	mocks, _ := runTelemetry(t, grafanaSpec(false))
	for _, name := range []string{"istio-grafana-dashboards", "grafana-dashboard-providers"} {
		for _, cm := range mocks.OfType("kubernetes:core/v1:ConfigMap") {
			if cm.Name == name {
				t.Errorf("ConfigMap %s registered without grafanaDashboards", name)
			}
		}
	}
	d := mocks.Find(t, deploymentType, "grafana")
	var volumes []string
	for _, v := range d.Get("spec.template.spec.volumes").([]interface{}) {
		volumes = append(volumes, v.(map[string]interface{})["name"].(string))
	}
	if want := []string{"config", "scratch-0", "scratch-1"}; !reflect.DeepEqual(volumes, want) {
		t.Errorf("grafana's volumes = %v, want %v", volumes, want)
	}
}
