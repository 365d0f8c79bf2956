package components_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"sigs.k8s.io/yaml"
)

type telemetryOutputs struct {
	jaegerCommand, jaegerTarget, promCommand, grafanaPassword, kialiCommand *pulumimock.Captured[string]
	// held are the URNs of the resources the component's fields hold, by field.
	held map[string]*pulumimock.Captured[pulumi.URN]
}

// runTelemetry registers a Telemetry of the spec in a test mesh.
func runTelemetry(t *testing.T, spec components.TelemetrySpec) (*pulumimock.Mocks, telemetryOutputs) {
	t.Helper()
	var out telemetryOutputs
	mocks, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
		mesh, err := testAttachment(ctx)
		if err != nil {
			return err
		}
		tel, err := components.NewTelemetry(ctx, "telemetry", &components.TelemetryArgs{Spec: spec, Mesh: mesh})
		if err != nil {
			return err
		}
		out.jaegerCommand = pulumimock.Capture[string](tel.JaegerPortForwardCommand)
		out.jaegerTarget = pulumimock.Capture[string](tel.JaegerPortForward)
		out.promCommand = pulumimock.Capture[string](tel.PrometheusPortForwardCommand)
		out.grafanaPassword = pulumimock.Capture[string](tel.GrafanaAdminPassword)
		out.kialiCommand = pulumimock.Capture[string](tel.KialiPortForwardCommand)
		held := map[string]pulumi.Resource{
			"JaegerDeployment": tel.JaegerDeployment, "TracingService": tel.TracingService,
			"ZipkinService": tel.ZipkinService, "CollectorService": tel.CollectorService,
			"PrometheusDeployment": tel.PrometheusDeployment, "PrometheusService": tel.PrometheusService,
			"MeshTelemetry": tel.MeshTelemetry,
		}
		if tel.GrafanaDeployment != nil {
			held["GrafanaDeployment"] = tel.GrafanaDeployment
		}
		if tel.KialiDeployment != nil {
			held["KialiDeployment"] = tel.KialiDeployment
		}
		out.held = captureURNs(held)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return mocks, out
}

func TestTelemetryJaeger(t *testing.T) {
	mocks, out := runTelemetry(t, telemetrySpec())
	// The Services Istio's Jaeger addon has, so the tutorial's commands work.
	for name, ports := range map[string][][2]float64{
		"tracing":          {{80, components.JaegerUIPort}},
		"zipkin":           {{9411, 9411}},
		"jaeger-collector": {{4317, 4317}, {4318, 4318}, {9411, 9411}},
	} {
		svc := mocks.Find(t, "kubernetes:core/v1:Service", name)
		for i, p := range ports {
			prefix := "spec.ports." + string(rune('0'+i))
			if svc.Get(prefix+".port") != p[0] || svc.Get(prefix+".targetPort") != p[1] {
				t.Errorf("%s port %d = %v -> %v, want %v -> %v", name, i, svc.Get(prefix+".port"), svc.Get(prefix+".targetPort"), p[0], p[1])
			}
		}
		if got := svc.Get("spec.selector.app"); got != "jaeger" {
			t.Errorf("%s selects app=%v", name, got)
		}
	}
	if got, want := out.jaegerCommand.Value(t), "kubectl -n istio-system port-forward svc/tracing 16686:80"; got != want {
		t.Errorf("port-forward command = %q, want %q", got, want)
	}
	if got := out.jaegerTarget.Value(t); got != "svc/tracing 16686:80" {
		t.Errorf("port-forward target = %q", got)
	}
	if got := out.promCommand.Value(t); got != "kubectl -n istio-system port-forward svc/prometheus 9090:9090" {
		t.Errorf("prometheus command = %q", got)
	}

	cm := mocks.Find(t, "kubernetes:core/v1:ConfigMap", "jaeger")
	var config map[string]interface{}
	if err := yaml.Unmarshal([]byte(cm.Get("data").(map[string]interface{})["config.yaml"].(string)), &config); err != nil {
		t.Fatal(err)
	}
	receivers := config["receivers"].(map[string]interface{})
	otlp := receivers["otlp"].(map[string]interface{})["protocols"].(map[string]interface{})
	if otlp["grpc"].(map[string]interface{})["endpoint"] != "0.0.0.0:4317" || otlp["http"].(map[string]interface{})["endpoint"] != "0.0.0.0:4318" {
		t.Errorf("OTLP receivers = %v", otlp)
	}
	d := mocks.Find(t, deploymentType, "jaeger")
	if got := d.Get("spec.template.metadata.labels"); !reflect.DeepEqual(got, map[string]interface{}{"app": "jaeger", "sidecar.istio.io/inject": "false"}) {
		t.Errorf("jaeger pod labels = %v", got)
	}
}

func TestTelemetryResource(t *testing.T) {
	cases := []struct {
		name            string
		enabled         bool
		sampling        float64
		wantDisableSpan interface{}
	}{
		{"dev: every request", true, 100, nil},
		{"prod: 1 percent", true, 1, nil},
		{"tracing off", false, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := telemetrySpec()
			spec.Tracing, spec.SamplingPercent = tc.enabled, tc.sampling
			mocks, _ := runTelemetry(t, spec)
			tel := mocks.Find(t, "kubernetes:telemetry.istio.io/v1:Telemetry", "mesh-default")
			if got := tel.Get("metadata.namespace"); got != "istio-system" {
				t.Errorf("namespace = %v, want the root namespace so it applies mesh-wide", got)
			}
			if got := tel.Get("spec.tracing.0.randomSamplingPercentage"); got != tc.sampling {
				t.Errorf("randomSamplingPercentage = %v, want %v", got, tc.sampling)
			}
			if got := tel.Get("spec.tracing.0.providers.0.name"); got != "jaeger" {
				t.Errorf("tracing provider = %v", got)
			}
			if got := tel.Get("spec.tracing.0.disableSpanReporting"); got != tc.wantDisableSpan {
				t.Errorf("disableSpanReporting = %v, want %v", got, tc.wantDisableSpan)
			}
			if got := tel.Get("spec.metrics.0.overrides.0.match.metric"); got != "REQUEST_COUNT" {
				t.Errorf("metric override matches %v, want REQUEST_COUNT (istio_requests_total)", got)
			}
			if got := tel.Get("spec.metrics.0.overrides.0.tagOverrides.request_host.value"); got != "request.host" {
				t.Errorf("request_host tag = %v", got)
			}
		})
	}
}

func TestTelemetryPrometheus(t *testing.T) {
	mocks, _ := runTelemetry(t, telemetrySpec())
	cm := mocks.Find(t, "kubernetes:core/v1:ConfigMap", "prometheus")
	text := cm.Get("data").(map[string]interface{})["prometheus.yml"].(string)
	for _, want := range []string{"job_name: kubernetes-pods", "__meta_kubernetes_pod_annotation_prometheus_io_scrape", "__meta_kubernetes_pod_label_(.+)", "target_label: pod"} {
		if !strings.Contains(text, want) {
			t.Errorf("prometheus.yml lacks %q:\n%s", want, text)
		}
	}
	// istiod's pods ask to be scraped (its chart's annotations): a job of
	// its own would scrape them twice.
	if strings.Contains(text, "job_name: istiod") {
		t.Errorf("prometheus.yml scrapes istiod in a job of its own as well as by its pods' annotations:\n%s", text)
	}
	if n := len(mocks.OfType(deploymentType)); n != 2 {
		t.Errorf("%d Deployments, want jaeger and prometheus only (grafana is off)", n)
	}
}

func TestTelemetryGrafanaPassword(t *testing.T) {
	t.Run("generated by pulumi-random when none is given", func(t *testing.T) {
		spec := telemetrySpec()
		spec.GrafanaSpec.Enabled = true
		mocks, out := runTelemetry(t, spec)
		pw := mocks.Find(t, "random:index/randomPassword:RandomPassword", "grafana-admin")
		if got := pw.Get("length"); got != 24.0 {
			t.Errorf("password length = %v", got)
		}
		if got := out.grafanaPassword.Value(t); got != "mock-generated-password" {
			t.Errorf("exported password = %q, want the generated one", got)
		}
		secret := mocks.Find(t, "kubernetes:core/v1:Secret", "grafana-admin")
		if !secret.Inputs["stringData"].ContainsSecrets() {
			t.Error("the Kubernetes Secret's data is not a Pulumi secret: it would be stored in plain text")
		}
	})
	t.Run("given password, nothing generated", func(t *testing.T) {
		spec := telemetrySpec()
		spec.GrafanaSpec.Enabled, spec.AdminPassword = true, "from-config"
		mocks, out := runTelemetry(t, spec)
		if n := len(mocks.OfType("random:index/randomPassword:RandomPassword")); n != 0 {
			t.Errorf("%d passwords generated", n)
		}
		if got := out.grafanaPassword.Value(t); got != "from-config" {
			t.Errorf("password = %q", got)
		}
	})
}

// TestPrometheusReadsOnlyWhatItScrapes: Prometheus may read pods in the
// namespaces it scrapes and nothing else anywhere, and its
// service discovery asks for exactly those namespaces (a job without
// namespaces would list the whole cluster, and be refused).
func TestPrometheusReadsOnlyWhatItScrapes(t *testing.T) {
	mocks, _ := runTelemetry(t, telemetrySpec())
	for _, typ := range []string{"kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"} {
		if found := mocks.OfType(typ); len(found) != 0 {
			t.Errorf("%d %s registered; Prometheus needs no cluster-wide grant", len(found), typ)
		}
	}
	wantNamespaces := []string{"istio-system", "playground"}
	var roleNamespaces []string
	for _, role := range mocks.OfType("kubernetes:rbac.authorization.k8s.io/v1:Role") {
		ns, _ := role.Get("metadata.namespace").(string)
		roleNamespaces = append(roleNamespaces, ns)
		want := []interface{}{map[string]interface{}{"apiGroups": []interface{}{""}, "resources": []interface{}{"pods"}, "verbs": []interface{}{"get", "list", "watch"}}}
		if rules := role.Get("rules"); !reflect.DeepEqual(rules, want) {
			t.Errorf("the Role in %s grants %v; Prometheus' pod discovery needs %v", ns, rules, want)
		}
	}
	slices.Sort(roleNamespaces)
	if !slices.Equal(roleNamespaces, wantNamespaces) {
		t.Errorf("Prometheus' Roles are in %v, want the scraped namespaces %v", roleNamespaces, wantNamespaces)
	}
	var bound []string
	for _, binding := range mocks.OfType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding") {
		if kind, name := binding.Get("roleRef.kind"), binding.Get("roleRef.name"); kind != "Role" || name != "prometheus" {
			t.Errorf("a RoleBinding binds %v %v, want Prometheus' Role", kind, name)
		}
		subject := binding.Get("subjects.0").(map[string]interface{})
		if subject["kind"] != "ServiceAccount" || subject["name"] != "prometheus" || subject["namespace"] != "istio-system" {
			t.Errorf("a RoleBinding binds %v, want Prometheus' ServiceAccount", subject)
		}
		ns, _ := binding.Get("metadata.namespace").(string)
		bound = append(bound, ns)
	}
	slices.Sort(bound)
	if !slices.Equal(bound, wantNamespaces) {
		t.Errorf("Prometheus is bound in %v, want %v", bound, wantNamespaces)
	}

	cm := mocks.Find(t, "kubernetes:core/v1:ConfigMap", "prometheus")
	var config struct {
		ScrapeConfigs []struct {
			JobName string `json:"job_name"`
			SD      []struct {
				Role       string `json:"role"`
				Namespaces *struct {
					Names []string `json:"names"`
				} `json:"namespaces"`
			} `json:"kubernetes_sd_configs"`
		} `json:"scrape_configs"`
	}
	if err := yaml.Unmarshal([]byte(cm.Get("data").(map[string]interface{})["prometheus.yml"].(string)), &config); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"kubernetes-pods": wantNamespaces}
	for _, job := range config.ScrapeConfigs {
		for _, sd := range job.SD {
			if sd.Namespaces == nil {
				t.Errorf("job %s discovers %ss in every namespace", job.JobName, sd.Role)
				continue
			}
			if !slices.Equal(sd.Namespaces.Names, want[job.JobName]) {
				t.Errorf("job %s discovers %ss in %v, want %v", job.JobName, sd.Role, sd.Namespaces.Names, want[job.JobName])
			}
			for _, ns := range sd.Namespaces.Names {
				if !slices.Contains(roleNamespaces, ns) {
					t.Errorf("job %s discovers in %s, where Prometheus may read nothing", job.JobName, ns)
				}
			}
		}
	}
	if len(config.ScrapeConfigs) != len(want) {
		t.Errorf("%d scrape jobs, want %d", len(config.ScrapeConfigs), len(want))
	}
}

// TestTelemetryFieldsHoldWhatTheyName: each resource field of Telemetry
// holds the resource its name says, and GrafanaDeployment and
// KialiDeployment nothing without theirs (the stack exports their outputs
// only when they are set).
func TestTelemetryFieldsHoldWhatTheyName(t *testing.T) {
	backends := map[string]resourceID{
		"JaegerDeployment":     {deploymentType, "jaeger"},
		"TracingService":       {components.ServiceToken, components.JaegerQueryService},
		"ZipkinService":        {components.ServiceToken, "zipkin"},
		"CollectorService":     {components.ServiceToken, components.CollectorService},
		"PrometheusDeployment": {deploymentType, "prometheus"},
		"PrometheusService":    {components.ServiceToken, components.PrometheusService},
		"MeshTelemetry":        {"kubernetes:telemetry.istio.io/v1:Telemetry", "mesh-default"},
	}
	for _, tc := range []struct {
		name           string
		grafana, kiali bool
		want           map[string]resourceID
	}{
		{"without grafana and kiali", false, false, backends},
		{"with grafana", true, false, mergeIDs(backends, map[string]resourceID{"GrafanaDeployment": {deploymentType, "grafana"}})},
		{"with kiali", false, true, mergeIDs(backends, map[string]resourceID{"KialiDeployment": {deploymentType, "kiali"}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := telemetrySpec()
			spec.GrafanaSpec.Enabled = tc.grafana
			spec.KialiSpec.Enabled = tc.kiali
			mocks, out := runTelemetry(t, spec)
			checkFieldsHold(t, mocks, out.held, tc.want)
		})
	}
}
