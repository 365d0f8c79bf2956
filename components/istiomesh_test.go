package components_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	corev1 "k8s.io/api/core/v1"
)

const releaseType = "kubernetes:helm.sh/v3:Release"

// meshArgs are the default mesh (istio-cni, STRICT mTLS, default deny,
// restricted namespaces) from the pinned chart repository, tracing every request.
func meshArgs() components.IstioMeshArgs {
	spec := meshSpec()
	spec.ChartSource = components.ChartSource{Repo: "https://istio-release.storage.googleapis.com/charts", Version: "1.31.4"}
	return components.IstioMeshArgs{Spec: spec, Tracing: components.TracingSpec{Tracing: true, SamplingPercent: 100}}
}

type meshOutputs struct {
	url, host *pulumimock.Captured[string]
	port      *pulumimock.Captured[int]
	revisions *pulumimock.Captured[map[string]int]
}

func runMesh(t *testing.T, args components.IstioMeshArgs) (*pulumimock.Mocks, meshOutputs) {
	t.Helper()
	var out meshOutputs
	mocks, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
		mesh, err := components.NewIstioMesh(ctx, "istio", &args)
		if err != nil {
			return err
		}
		out.url = pulumimock.Capture[string](mesh.IngressURL)
		out.host = pulumimock.Capture[string](mesh.IngressHost)
		out.port = pulumimock.Capture[int](mesh.IngressPort)
		out.revisions = pulumimock.Capture[map[string]int](mesh.Revisions)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return mocks, out
}

func TestIstioMeshReleasesInOrder(t *testing.T) {
	mocks, out := runMesh(t, meshArgs())
	component := mocks.Find(t, components.IstioMeshToken, "istio")
	base := mocks.Find(t, releaseType, "istio-base")
	istiod := mocks.Find(t, releaseType, "istiod")
	gateway := mocks.Find(t, releaseType, "istio-ingressgateway")
	ns := mocks.Find(t, "kubernetes:core/v1:Namespace", "istio-system")

	for _, tc := range []struct {
		release   *pulumimock.Resource
		chart     string
		dependsOn *pulumimock.Resource
	}{
		{base, "base", ns},
		{istiod, "istiod", base},
		{gateway, "gateway", istiod},
	} {
		r := tc.release
		if r.Parent != component.URN {
			t.Errorf("%s: parent = %q, want the IstioMesh", r.Name, r.Parent)
		}
		// An explicit release name: a generated one breaks the gateway's pod label.
		if got := r.Get("name"); got != r.Name {
			t.Errorf("%s: release name = %v, want %q", r.Name, got, r.Name)
		}
		if got := r.Get("chart"); got != tc.chart {
			t.Errorf("%s: chart = %v, want %q", r.Name, got, tc.chart)
		}
		if got := r.Get("version"); got != "1.31.4" {
			t.Errorf("%s: version = %v, want the pinned 1.31.4", r.Name, got)
		}
		if got := r.Get("repositoryOpts.repo"); got != "https://istio-release.storage.googleapis.com/charts" {
			t.Errorf("%s: repo = %v", r.Name, got)
		}
		if got := r.Get("namespace"); got != "istio-system" {
			t.Errorf("%s: namespace = %v", r.Name, got)
		}
		if !r.DependsOn(tc.dependsOn.URN) {
			t.Errorf("%s does not depend on %s: %v", r.Name, tc.dependsOn.Name, r.DependOn)
		}
	}
	if !reflect.DeepEqual(out.revisions.Value(t), map[string]int{"base": 1, "cni": 1, "istiod": 1, "gateway": 1}) {
		t.Errorf("revisions = %v", out.revisions.Value(t))
	}

	// The gateway chart labels pods istio: <release name without "istio-">,
	// the tutorial's Gateway selector istio: ingressgateway.
	svc := mocks.Find(t, "kubernetes:core/v1:Service", "istio-ingressgateway")
	if got := svc.Get("spec.selector.istio"); got != "ingressgateway" {
		t.Errorf("ingress Service selects istio=%v, want ingressgateway", got)
	}
	if got := gateway.Get("values.service.type"); got != "None" {
		t.Errorf("gateway chart service.type = %v, want None (the component owns the Service)", got)
	}
	if !mocks.Find(t, components.ServiceToken, "istio-ingressgateway").DependsOn(gateway.URN) {
		t.Error("the ingress Service does not wait for the gateway release")
	}
	if got := svc.Get("spec.type"); got != "NodePort" {
		t.Errorf("ingress type = %v", got)
	}
	if got := svc.Get("spec.ports.0.nodePort"); got != 31380.0 {
		t.Errorf("ingress http node port = %v, want the tutorial's 31380", got)
	}
	if out.url.Value(t) != "http://127.0.0.1:31380" || out.port.Value(t) != 31380 || out.host.Value(t) != "127.0.0.1" {
		t.Errorf("ingress outputs = %q %q %d", out.url.Value(t), out.host.Value(t), out.port.Value(t))
	}

	app := mocks.Find(t, "kubernetes:core/v1:Namespace", "playground")
	if got := app.Get("metadata.labels.istio-injection"); got != "enabled" {
		t.Errorf("app namespace istio-injection = %v, want enabled", got)
	}
	if got := ns.Get("metadata.labels.istio-injection"); got != nil {
		t.Errorf("istio-system must not be labeled for injection, got %v", got)
	}
}

func TestIstioMeshTracingValues(t *testing.T) {
	cases := []struct {
		name            string
		enabled         bool
		sampling        float64
		wantDefaultProv interface{}
	}{
		{"tracing on, every request (dev)", true, 100, []interface{}{"jaeger"}},
		{"tracing on, 1% (prod)", true, 1, []interface{}{"jaeger"}},
		{"tracing off", false, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := meshArgs()
			args.Tracing.Tracing, args.Tracing.SamplingPercent = tc.enabled, tc.sampling
			mocks, _ := runMesh(t, args)
			istiod := mocks.Find(t, releaseType, "istiod")
			// false must be explicit: Istio's default for enableTracing is true.
			if got := istiod.Get("values.meshConfig.enableTracing"); got != tc.enabled {
				t.Errorf("meshConfig.enableTracing = %v, want %v", got, tc.enabled)
			}
			if got := istiod.Get("values.traceSampling"); got != tc.sampling {
				t.Errorf("traceSampling = %v, want %v", got, tc.sampling)
			}
			if got := istiod.Get("values.meshConfig.defaultProviders.tracing"); !reflect.DeepEqual(got, tc.wantDefaultProv) {
				t.Errorf("defaultProviders.tracing = %v, want %v", got, tc.wantDefaultProv)
			}
			want := map[string]interface{}{
				"name": "jaeger",
				"opentelemetry": map[string]interface{}{
					"service": "jaeger-collector.istio-system.svc.cluster.local",
					"port":    4317.0,
				},
			}
			if got := istiod.Get("values.meshConfig.extensionProviders.0"); !reflect.DeepEqual(got, want) {
				t.Errorf("extension provider = %#v, want %#v", got, want)
			}
			if got := istiod.Get("values.meshConfig.accessLogFile"); got != "/dev/stdout" {
				t.Errorf("accessLogFile = %v", got)
			}
			if got := istiod.Get("values.autoscaleEnabled"); got != false {
				t.Errorf("autoscaleEnabled = %v, want false (replicas are fixed by config)", got)
			}
		})
	}
}

func TestIstioMeshIngressTypes(t *testing.T) {
	cases := []struct {
		name     string
		ingress  components.IngressSpec
		wantURL  string
		wantType string
	}{
		{"minikube NodePort", components.IngressSpec{API: components.IngressAPIIstio, Type: components.ServiceTypeNodePort, HTTPNodePort: 31380, Host: "127.0.0.1", Replicas: 1}, "http://127.0.0.1:31380", "NodePort"},
		{"NodePort at an IPv6 address", components.IngressSpec{API: components.IngressAPIIstio, Type: components.ServiceTypeNodePort, HTTPNodePort: 31380, Host: "2001:db8::1", Replicas: 1}, "http://[2001:db8::1]:31380", "NodePort"},
		{"cloud LoadBalancer", components.IngressSpec{API: components.IngressAPIIstio, Type: components.ServiceTypeLoadBalancer, Replicas: 2}, "http://203.0.113.7:80", "LoadBalancer"},
		{"in-cluster only", components.IngressSpec{API: components.IngressAPIIstio, Type: components.ServiceTypeClusterIP, Replicas: 1}, "http://istio-ingressgateway.istio-system.svc.cluster.local:80", "ClusterIP"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := meshArgs()
			args.Spec.Ingress = tc.ingress
			mocks, out := runMesh(t, args)
			if out.url.Value(t) != tc.wantURL {
				t.Errorf("ingress URL = %q, want %q", out.url.Value(t), tc.wantURL)
			}
			if got := mocks.Find(t, "kubernetes:core/v1:Service", "istio-ingressgateway").Get("spec.type"); got != tc.wantType {
				t.Errorf("type = %v", got)
			}
			if got := mocks.Find(t, releaseType, "istio-ingressgateway").Get("values.replicaCount"); got != float64(tc.ingress.Replicas) {
				t.Errorf("gateway replicaCount = %v, want %d", got, tc.ingress.Replicas)
			}
		})
	}
}

func TestIstioMeshLocalCharts(t *testing.T) {
	layouts := map[string][]string{
		"helm pull layout":    {"base", "cni", "istiod", "gateway"},
		"istio source layout": {"manifests/charts/base", "manifests/charts/istio-cni", "manifests/charts/istio-control/istio-discovery", "manifests/charts/gateway"},
	}
	for name, dirs := range layouts {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			for _, d := range dirs {
				if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(root, d, "Chart.yaml"), []byte("name: x\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := meshArgs()
			args.Spec.ChartSource = components.ChartSource{Dir: root}
			mocks, _ := runMesh(t, args)
			for i, release := range []string{"istio-base", "istio-cni", "istiod", "istio-ingressgateway"} {
				r := mocks.Find(t, releaseType, release)
				if got := r.Get("chart"); got != filepath.Join(root, dirs[i]) {
					t.Errorf("%s chart = %v, want %s", release, got, filepath.Join(root, dirs[i]))
				}
				if got := r.Get("repositoryOpts"); got != nil {
					t.Errorf("%s: a local chart must not name a repository, got %v", release, got)
				}
			}
		})
	}
	t.Run("missing charts are refused", func(t *testing.T) {
		args := meshArgs()
		args.Spec.ChartSource = components.ChartSource{Dir: t.TempDir()}
		_, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
			_, err := components.NewIstioMesh(ctx, "istio", &args)
			return err
		})
		if err == nil {
			t.Fatal("an empty chart directory was accepted")
		}
	})
}

// TestIstioMeshRenderMode: render mode cannot write Helm releases, so none are
// registered; everything else is, and the CRD dependency falls back to the namespace.
func TestIstioMeshRenderMode(t *testing.T) {
	args := meshArgs()
	args.SkipReleases = true
	var skipped []string
	var crds string
	mocks, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
		mesh, err := components.NewIstioMesh(ctx, "istio", &args)
		if err != nil {
			return err
		}
		skipped = mesh.SkippedReleases
		if len(mesh.Attachment.IstioAPI) != 1 || mesh.Attachment.IstioAPI[0] != mesh.SystemNamespace || len(mesh.Attachment.Injector) != 0 {
			crds = "not the namespace"
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(mocks.OfType(releaseType)); n != 0 {
		t.Errorf("%d releases registered in render mode", n)
	}
	if !reflect.DeepEqual(skipped, []string{"istio-base", "istio-cni", "istiod", "istio-ingressgateway"}) {
		t.Errorf("skipped = %v", skipped)
	}
	if crds != "" {
		t.Error("the Istio API should fall back to the istio-system namespace, with no injector to wait for")
	}
	mocks.Find(t, "kubernetes:core/v1:Service", "istio-ingressgateway")
	mocks.Find(t, "kubernetes:core/v1:Namespace", "playground")
}

// TestIstioMeshPlacementAndSources: where the images come from, where the
// gateway runs, where istio-cni finds the node's CNI, each reaching exactly
// the charts that use it, and nothing when unset (the charts' own).
func TestIstioMeshPlacementAndSources(t *testing.T) {
	seconds := int64(60)
	tests := []struct {
		name string
		edit func(s *components.IstioMeshSpec)
		want map[string]map[string]interface{} // release -> values path -> value (nil: absent)
	}{
		{"defaults keep the charts' own", func(*components.IstioMeshSpec) {}, map[string]map[string]interface{}{
			"istio-cni":            {"values.global.hub": nil, "values.global.tag": nil, "values.cniBinDir": nil, "values.cniConfDir": nil},
			"istiod":               {"values.global.hub": nil, "values.global.tag": nil},
			"istio-ingressgateway": {"values.global": nil, "values.nodeSelector": nil, "values.tolerations": nil},
		}},
		{"a private mirror", func(s *components.IstioMeshSpec) {
			s.Hub, s.Tag = "registry.example.com/mirror/istio", "1.31.4-distroless"
		}, map[string]map[string]interface{}{
			"istio-base":           {"values.global.hub": nil, "values.global.tag": nil},
			"istio-cni":            {"values.global.hub": "registry.example.com/mirror/istio", "values.global.tag": "1.31.4-distroless"},
			"istiod":               {"values.global.hub": "registry.example.com/mirror/istio", "values.global.tag": "1.31.4-distroless", "values.global.istioNamespace": "istio-system"},
			"istio-ingressgateway": {"values.global.hub": "registry.example.com/mirror/istio", "values.global.tag": "1.31.4-distroless"},
		}},
		{"dedicated ingress nodes", func(s *components.IstioMeshSpec) {
			s.Ingress.NodeSelector = map[string]string{"node-role.example.com/ingress": "true"}
			s.Ingress.Tolerations = []corev1.Toleration{
				{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "ingress", Effect: corev1.TaintEffectNoSchedule},
				{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &seconds},
			}
		}, map[string]map[string]interface{}{
			"istio-ingressgateway": {
				"values.nodeSelector": map[string]interface{}{"node-role.example.com/ingress": "true"},
				"values.tolerations": []interface{}{
					map[string]interface{}{"key": "dedicated", "operator": "Equal", "value": "ingress", "effect": "NoSchedule"},
					map[string]interface{}{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60.0},
				},
			},
			"istiod": {"values.nodeSelector": nil, "values.tolerations": nil},
		}},
		{"CNI kept elsewhere by the node", func(s *components.IstioMeshSpec) {
			s.CNI.BinDir, s.CNI.ConfDir = "/var/lib/cni/bin", "/etc/cni/multus/net.d"
		}, map[string]map[string]interface{}{
			"istio-cni": {"values.cniBinDir": "/var/lib/cni/bin", "values.cniConfDir": "/etc/cni/multus/net.d"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := meshArgs()
			tt.edit(&args.Spec)
			mocks, _ := runMesh(t, args)
			for release, paths := range tt.want {
				r := mocks.Find(t, releaseType, release)
				for path, want := range paths {
					if got := r.Get(path); !reflect.DeepEqual(got, want) {
						t.Errorf("%s %s = %#v, want %#v", release, path, got, want)
					}
				}
			}
		})
	}
}

// TestIstioMeshWithoutInjection: a cluster that cannot run Envoy gets its
// app namespace labeled istio-injection: disabled, and its pods wait for
// no injector.
func TestIstioMeshWithoutInjection(t *testing.T) {
	for _, on := range []bool{true, false} {
		args := meshArgs()
		args.Spec.SidecarInjection = on
		var injector int
		var labeled *pulumimock.Captured[bool]
		mocks, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
			mesh, err := components.NewIstioMesh(ctx, "istio", &args)
			if err != nil {
				return err
			}
			injector = len(mesh.Attachment.Injector)
			labeled = pulumimock.Capture[bool](mesh.SidecarInjection)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want, wantInjector := "enabled", 2
		if !on {
			want, wantInjector = "disabled", 0
		}
		if got := mocks.Find(t, "kubernetes:core/v1:Namespace", "playground").Get("metadata.labels.istio-injection"); got != want {
			t.Errorf("sidecarInjection %v: app namespace istio-injection = %v, want %s", on, got, want)
		}
		if injector != wantInjector {
			t.Errorf("sidecarInjection %v: pods wait for %d releases, want %d (istiod and istio-cni, or none)", on, injector, wantInjector)
		}
		if labeled.Value(t) != on {
			t.Errorf("sidecarInjection output = %v, want %v", labeled.Value(t), on)
		}
	}
}
