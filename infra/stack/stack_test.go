package stack_test

import (
	"encoding/json"
	"fmt"
	playk8s "github.com/play-kubernetes/play-kubernetes"
	"maps"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/infra/stack"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
	"github.com/play-kubernetes/play-kubernetes/internal/stackfile"
	"github.com/play-kubernetes/play-kubernetes/internal/stackoutput"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const releaseType = "kubernetes:helm.sh/v3:Release"

// projectRoot makes relative config paths (the sample-app build context)
// resolve as they do under `pulumi up`, from the directory of Pulumi.yaml.
func projectRoot(t *testing.T) {
	t.Chdir(filepath.Join("..", ".."))
}

func loadStack(t *testing.T, name string) map[string]string {
	t.Helper()
	cfg, err := stackfile.Load("Pulumi." + name + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// outputs captures the stack's exports by running the program with a
// context that records them.
type exports map[string]*pulumimock.Captured[interface{}]

func runStack(t *testing.T, cfg map[string]string, secrets ...string) (*pulumimock.Mocks, exports, error) {
	t.Helper()
	out := exports{}
	mocks, err := pulumimock.RunWithSecrets(t, cfg, secrets, func(ctx *pulumi.Context) error {
		if err := stack.ProgramOn(stack.KnownCluster{Version: playk8s.Version("K8S_VERSION")})(ctx); err != nil {
			return err
		}
		for name, value := range ctx.GetCurrentExportMap() {
			out[name] = pulumimock.Capture[interface{}](pulumi.ToOutput(value))
		}
		return nil
	})
	return mocks, out, err
}

func TestDevStack(t *testing.T) {
	projectRoot(t)
	mocks, out, err := runStack(t, loadStack(t, "dev"))
	if err != nil {
		t.Fatal(err)
	}

	// The five components, each once.
	for token, name := range map[string]string{
		components.IstioMeshToken:   "istio",
		components.TelemetryToken:   "telemetry",
		components.WebServerToken:   "webserver",
		components.SampleChainToken: "chain",
	} {
		mocks.Find(t, token, name)
	}
	// Every Kubernetes, Helm, Docker and random resource belongs to a component.
	componentURNs := map[string]bool{}
	for _, r := range mocks.Resources() {
		if strings.HasPrefix(r.Type, "playk8s:index:") {
			componentURNs[r.URN] = true
		}
	}
	for _, r := range mocks.Resources() {
		if r.Custom && !componentURNs[r.Parent] {
			t.Errorf("%s %s is not parented to a component (parent %q)", r.Type, r.Name, r.Parent)
		}
		// The stack owns every field it sets: drift is overwritten, not a conflict.
		if strings.HasPrefix(r.Type, "kubernetes:") && r.Type != releaseType && r.Get("metadata.annotations.pulumi\\.com/patchForce") != "true" {
			t.Errorf("%s %s lacks %s", r.Type, r.Name, components.PatchForceAnnotation)
		}
	}

	base := mocks.Find(t, releaseType, "istio-base")
	for _, dependent := range []struct{ typ, name string }{
		{"kubernetes:networking.istio.io/v1:Gateway", "gateway"},
		{"kubernetes:networking.istio.io/v1:VirtualService", "virtual-service"},
		{"kubernetes:telemetry.istio.io/v1:Telemetry", "mesh-default"},
		{"kubernetes:security.istio.io/v1:PeerAuthentication", "mesh-mtls"},
		{"kubernetes:security.istio.io/v1:AuthorizationPolicy", "allow-nothing"},
		{"kubernetes:security.istio.io/v1:AuthorizationPolicy", "service-a-allow"},
		{"kubernetes:security.istio.io/v1:AuthorizationPolicy", "webserver-allow"},
		{"kubernetes:security.istio.io/v1:PeerAuthentication", "webserver-permissive"},
		{releaseType, "istio-cni"},
	} {
		if !mocks.Find(t, dependent.typ, dependent.name).DependsOn(base.URN) {
			t.Errorf("%s does not wait for the base release's CRDs", dependent.name)
		}
	}
	// Pods of the app namespace are created only once the injector and
	// istio-cni are ready: earlier, they would run without a sidecar.
	istiod, cni := mocks.Find(t, releaseType, "istiod"), mocks.Find(t, releaseType, "istio-cni")
	meshed := 0
	for _, d := range mocks.OfType("kubernetes:apps/v1:Deployment") {
		if d.Get("metadata.namespace") != "playground" {
			continue
		}
		meshed++
		if !d.DependsOn(istiod.URN) || !d.DependsOn(cni.URN) {
			t.Errorf("Deployment %s does not wait for istiod and istio-cni", d.Name)
		}
	}
	if meshed != 4 {
		t.Errorf("%d Deployments in the app namespace, want the web server and 3 hops", meshed)
	}

	// The tutorial's web server in the app namespace.
	web := mocks.Find(t, "kubernetes:apps/v1:Deployment", "webserver")
	if web.Get("metadata.namespace") != "playground" || web.Get("spec.replicas") != 3.0 {
		t.Errorf("webserver in %v with %v replicas", web.Get("metadata.namespace"), web.Get("spec.replicas"))
	}
	if web.UpdateTimeout != "300s" {
		t.Errorf("webserver rollout timeout = %q, want webserver:timeoutSeconds (300s)", web.UpdateTimeout)
	}
	// dev samples every request and builds sample-app into minikube's daemon.
	if got := mocks.Find(t, releaseType, "istiod").Get("values.traceSampling"); got != 100.0 {
		t.Errorf("dev traceSampling = %v, want 100", got)
	}
	if got := mocks.Find(t, "kubernetes:telemetry.istio.io/v1:Telemetry", "mesh-default").Get("spec.tracing.0.randomSamplingPercentage"); got != 100.0 {
		t.Errorf("dev Telemetry sampling = %v, want 100", got)
	}
	img := mocks.Find(t, "docker:index/image:Image", "sample-app")
	if img.Get("skipPush") != true {
		t.Error("dev pushes sample-app; it should stay in minikube's daemon")
	}

	want := map[string]interface{}{
		stackoutput.IngressURL:            "http://127.0.0.1:31380",
		stackoutput.ServiceURL:            "http://127.0.0.1:31380/service",
		stackoutput.IngressPort:           31380.0,
		stackoutput.JaegerPortForward:     "kubectl -n istio-system port-forward svc/tracing 16686:80",
		stackoutput.WebServerURL:          "http://webserver-svc.playground.svc.cluster.local:80",
		stackoutput.ChainEntryURL:         "http://service-a.playground.svc.cluster.local:8000",
		stackoutput.PrometheusPortForward: "kubectl -n istio-system port-forward svc/prometheus 9090:9090",
		stackoutput.AppNamespace:          "playground",
		// What make verify reads.
		stackoutput.IstioNamespace: "istio-system",
		stackoutput.ChainHops:      []string{"a", "b", "c"},
		stackoutput.ChainTransport: "http",
		stackoutput.ChainGRPCPort:  0.0,
		stackoutput.IstioReleases: map[string]string{"istio-base": "istio-system", "istio-cni": "istio-cni",
			"istiod": "istio-system", "istio-ingressgateway": "istio-system"},
	}
	for name, value := range want {
		c, ok := out[name]
		if !ok {
			t.Errorf("output %s is not exported", name)
			continue
		}
		got := c.Value(t)
		if n, ok := got.(int); ok {
			got = float64(n)
		}
		if !reflect.DeepEqual(got, value) {
			t.Errorf("output %s = %#v, want %#v", name, got, value)
		}
	}
	if _, ok := out[stackoutput.GrafanaAdminPassword]; ok {
		t.Error("dev runs no Grafana but exports its password")
	}
}

// TestTracingReachesEveryComponent: the telemetry spec's tracing is handed
// to each component that renders it, so istiod, the mesh's Telemetry
// resource and the hops' exporters agree on whether, and how much, is traced.
func TestTracingReachesEveryComponent(t *testing.T) {
	projectRoot(t)
	for _, tc := range []struct {
		tracing, sampling string
		on                bool
		percent           float64
	}{
		{"true", "100", true, 100},
		{"true", "2.5", true, 2.5},
		{"false", "5", false, 5},
	} {
		t.Run("tracing "+tc.tracing+" at "+tc.sampling+"%", func(t *testing.T) {
			cfg := loadStack(t, "dev")
			cfg["telemetry:tracing"], cfg["telemetry:samplingPercent"] = tc.tracing, tc.sampling
			mocks, _, err := runStack(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			istiod := mocks.Find(t, releaseType, "istiod")
			if got := istiod.Get("values.traceSampling"); got != tc.percent {
				t.Errorf("istiod traceSampling = %v, want %v", got, tc.percent)
			}
			if got := istiod.Get("values.meshConfig.enableTracing"); got != tc.on {
				t.Errorf("istiod enableTracing = %v, want %v", got, tc.on)
			}
			telemetry := mocks.Find(t, "kubernetes:telemetry.istio.io/v1:Telemetry", "mesh-default")
			if got := telemetry.Get("spec.tracing.0.randomSamplingPercentage"); got != tc.percent {
				t.Errorf("Telemetry sampling = %v, want %v", got, tc.percent)
			}
			if reporting := telemetry.Get("spec.tracing.0.disableSpanReporting") != true; reporting != tc.on {
				t.Errorf("Telemetry reports spans: %v, want %v", reporting, tc.on)
			}
			for _, hop := range []string{"service-a", "service-b", "service-c"} {
				env, _ := mocks.Find(t, "kubernetes:apps/v1:Deployment", hop).Get("spec.template.spec.containers.0.env").([]interface{})
				exports := false
				for _, e := range env {
					exports = exports || e.(map[string]interface{})["name"] == "OTEL_EXPORTER_OTLP_ENDPOINT"
				}
				if exports != tc.on {
					t.Errorf("%s exports spans: %v, want %v", hop, exports, tc.on)
				}
			}
		})
	}
}

func TestProdStack(t *testing.T) {
	projectRoot(t)
	cfg := loadStack(t, "prod")
	cfg["chain:registryPassword"] = "registry-token"
	mocks, out, err := runStack(t, cfg, "chain:registryPassword")
	if err != nil {
		t.Fatal(err)
	}
	if got := mocks.Find(t, "kubernetes:core/v1:Service", "istio-ingressgateway").Get("spec.type"); got != "LoadBalancer" {
		t.Errorf("prod ingress = %v, want LoadBalancer", got)
	}
	// Services created after their awaited workload skip the provider's
	// fixed endpoint settle; a LoadBalancer is awaited for its address.
	for _, svc := range mocks.OfType("kubernetes:core/v1:Service") {
		skip := svc.Get("metadata.annotations.pulumi\\.com/skipAwait") == "true"
		if lb := svc.Get("spec.type") == "LoadBalancer"; lb == skip {
			t.Errorf("Service %s (%v): skipAwait %v", svc.Name, svc.Get("spec.type"), skip)
		}
	}
	if got := out[stackoutput.IngressURL].Value(t); got != "http://203.0.113.7:80" {
		t.Errorf("prod ingressUrl = %v, want the load balancer's address", got)
	}
	if got := mocks.Find(t, releaseType, "istiod").Get("values.replicaCount"); got.(float64) < 2 {
		t.Errorf("prod istiod replicas = %v, want HA", got)
	}
	for _, d := range mocks.OfType("kubernetes:apps/v1:Deployment") {
		if strings.HasPrefix(d.Name, "service-") && d.Get("spec.replicas").(float64) < 2 {
			t.Errorf("prod %s has %v replicas", d.Name, d.Get("spec.replicas"))
		}
		// Every replicated workload spreads over zones, then nodes.
		if d.Get("spec.replicas").(float64) > 1 && d.Get("spec.template.spec.topologySpreadConstraints.0.topologyKey") != "topology.kubernetes.io/zone" {
			t.Errorf("prod %s (%v replicas) does not spread over zones", d.Name, d.Get("spec.replicas"))
		}
	}
	for _, release := range []string{"istiod", "istio-ingressgateway"} {
		if mocks.Find(t, releaseType, release).Get("values.topologySpreadConstraints.0.topologyKey") != "topology.kubernetes.io/zone" {
			t.Errorf("prod %s does not spread over zones", release)
		}
	}
	if got := mocks.Find(t, "kubernetes:telemetry.istio.io/v1:Telemetry", "mesh-default").Get("spec.tracing.0.randomSamplingPercentage"); got.(float64) > 10 {
		t.Errorf("prod samples %v%% of requests", got)
	}
	img := mocks.Find(t, "docker:index/image:Image", "sample-app")
	if img.Get("skipPush") != false || img.Get("registry.server") != "ghcr.io" {
		t.Errorf("prod image push = %v to %v", !img.Get("skipPush").(bool), img.Get("registry.server"))
	}
	if !img.Inputs["registry"].ObjectValue()["password"].IsSecret() {
		t.Error("the registry password is not a Pulumi secret")
	}
	a := mocks.Find(t, "kubernetes:apps/v1:Deployment", "service-a")
	if got := a.Get("spec.template.spec.containers.0.image").(string); !strings.Contains(got, "@sha256:") {
		t.Errorf("prod deploys %s, want the pushed digest", got)
	}
	pw, ok := out[stackoutput.GrafanaAdminPassword]
	if !ok || pw.Value(t) != "mock-generated-password" {
		t.Errorf("prod Grafana password output missing or wrong")
	}
	mocks.Find(t, "random:index/randomPassword:RandomPassword", "grafana-admin")
}

// TestKialiIsOptInDashboardsComeWithGrafana: dev as it is registers
// nothing of Kiali's or of Istio's dashboards and exports no
// kialiPortForward; prod, which runs Grafana, gets Istio's dashboards
// (as Istio's Grafana addon ships them) unless grafanaDashboards is
// false; Kiali turned on registers it and exports its command.
func TestKialiIsOptInDashboardsComeWithGrafana(t *testing.T) {
	projectRoot(t)
	prod := loadStack(t, "prod")
	prod["chain:registryPassword"] = "registry-token"
	bare := maps.Clone(prod)
	bare["telemetry:grafanaDashboards"] = "false"
	on := loadStack(t, "dev")
	on["telemetry:kiali"], on["telemetry:grafana"] = "true", "true"
	on["telemetry:grafanaAdminPassword"] = "dashboards"
	for _, tc := range []struct {
		name              string
		cfg               map[string]string
		secrets           []string
		kiali, dashboards bool
	}{
		{"dev", loadStack(t, "dev"), nil, false, false},
		{"prod", prod, []string{"chain:registryPassword"}, false, true},
		{"prod without the dashboards", bare, []string{"chain:registryPassword"}, false, false},
		{"dev with kiali and grafana", on, []string{"telemetry:grafanaAdminPassword"}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mocks, out, err := runStack(t, tc.cfg, tc.secrets...)
			if err != nil {
				t.Fatal(err)
			}
			registered := map[string]bool{}
			for _, r := range mocks.Resources() {
				registered[r.Type+"::"+r.Name] = true
			}
			for id, want := range map[string]bool{
				"kubernetes:apps/v1:Deployment::kiali":                              tc.kiali,
				"kubernetes:rbac.authorization.k8s.io/v1:ClusterRole::kiali-viewer": tc.kiali,
				"kubernetes:core/v1:ConfigMap::istio-grafana-dashboards":            tc.dashboards,
				"kubernetes:core/v1:ConfigMap::grafana-dashboard-providers":         tc.dashboards,
			} {
				if registered[id] != want {
					t.Errorf("%s registered: %v, want %v", id, registered[id], want)
				}
			}
			command, exported := out[stackoutput.KialiPortForward]
			if exported != tc.kiali {
				t.Fatalf("kialiPortForward exported: %v, want %v", exported, tc.kiali)
			}
			if tc.kiali {
				if got, want := command.Value(t), "kubectl -n istio-system port-forward svc/kiali 20001:20001"; got != want {
					t.Errorf("kialiPortForward = %v, want %q", got, want)
				}
			}
		})
	}
}

// TestBadConfigRegistersNothing: every refused configuration stops the
// program before the first resource, so `pulumi up` touches nothing.
func TestBadConfigRegistersNothing(t *testing.T) {
	projectRoot(t)
	cases := map[string]map[string]string{
		"negative replicas":           {"webserver:replicas": "-1"},
		"Local policy on ClusterIP":   {"webserver:service": `{"enabled":true,"name":"webserver-svc","type":"ClusterIP","port":80,"externalTrafficPolicy":"Local"}`},
		"node port out of range":      {"istio:ingress": `{"httpNodePort": 80}`},
		"sampling out of range":       {"telemetry:samplingPercent": "-5"},
		"duplicate hops":              {"chain:hops": `["a","a"]`},
		"bad image":                   {"chain:image": "::"},
		"chart version not a version": {"istio:version": "1.x"},
		"unknown key":                 {"webserver:replica": "3"},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			mocks, _, err := runStack(t, cfg)
			if err == nil {
				t.Fatal("accepted")
			}
			for key := range cfg {
				if !strings.Contains(err.Error(), key) {
					t.Errorf("error does not name %s: %v", key, err)
				}
			}
			if n := len(mocks.Resources()); n != 0 {
				t.Errorf("%d resources registered before the error: %v", n, mocks.Summary())
			}
		})
	}
}

// BenchmarkProgramUnderMocks is the cost of evaluating the whole dev stack
// (config, five components, every resource) under mocks.
func BenchmarkProgramUnderMocks(b *testing.B) {
	b.Chdir(filepath.Join("..", ".."))
	cfg, err := stackfile.Load("Pulumi.dev.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := pulumimock.Run(b, cfg, stack.ProgramOn(stack.KnownCluster{Version: playk8s.Version("K8S_VERSION")})); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProgramChainLength is BenchmarkProgramUnderMocks with the chain
// grown to N hops (generated names h00, h01, ...), everything else the dev
// stack. It reports the resources registered per evaluation and the time
// per resource: growth is linear when ns/resource stays flat as N grows.
func BenchmarkProgramChainLength(b *testing.B) {
	b.Chdir(filepath.Join("..", ".."))
	base, err := stackfile.Load("Pulumi.dev.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for _, hops := range []int{3, 10, 30} {
		b.Run(fmt.Sprintf("hops=%d", hops), func(b *testing.B) {
			names := make([]string, hops)
			for i := range names {
				names[i] = fmt.Sprintf("h%02d", i)
			}
			raw, err := json.Marshal(names)
			if err != nil {
				b.Fatal(err)
			}
			cfg := maps.Clone(base)
			cfg["chain:hops"] = string(raw)
			var resources int
			for b.Loop() {
				mocks, err := pulumimock.Run(b, cfg, stack.ProgramOn(stack.KnownCluster{Version: playk8s.Version("K8S_VERSION")}))
				if err != nil {
					b.Fatal(err)
				}
				resources = len(mocks.Resources())
			}
			b.ReportMetric(float64(resources), "resources")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(resources), "ns/resource")
		})
	}
}
