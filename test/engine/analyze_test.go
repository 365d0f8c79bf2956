package engine_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"sigs.k8s.io/yaml"
)

// namespacedKinds are the kinds Istio's charts render without a namespace
// (Helm fills in the release's at install time): the analyzer needs it to
// match them to the stack's own objects.
var namespacedKinds = map[string]bool{
	"ConfigMap": true, "Deployment": true, "DaemonSet": true, "Service": true, "ServiceAccount": true,
	"Role": true, "RoleBinding": true, "PodDisruptionBudget": true, "HorizontalPodAutoscaler": true, "Secret": true,
}

// writeReleases writes what the stack's Helm releases install, rendered
// with the stack's charts and values, into dir: render mode leaves the
// releases out, and without their pods and webhooks the analyzers that
// match a Gateway to its gateway's pods, or a workload to its injector,
// see nothing to judge.
func writeReleases(t *testing.T, dir string, rels []renderedRelease) {
	t.Helper()
	for _, rel := range rels {
		var docs []string
		for _, obj := range rel.objects {
			md, _ := obj["metadata"].(map[string]interface{})
			if md != nil && md["namespace"] == nil && namespacedKinds[str(obj["kind"])] {
				md["namespace"] = rel.namespace
			}
			raw, err := yaml.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, string(raw))
		}
		if err := os.WriteFile(filepath.Join(dir, "release-"+rel.name+".yaml"), []byte(strings.Join(docs, "---\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// analyze runs Istio's analyzers (istio-analyze, built from the pinned
// module beside istiod: what `istioctl analyze --use-kube=false` runs)
// over dirs, every namespace, failing on warnings and errors as a GitOps
// pipeline would. It returns the report and whether it passed.
func analyze(t *testing.T, dirs ...string) (string, bool) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin := layout.New(root).Istio("istio-analyze")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("istio-analyze is not built (make tools builds it): %v", err)
	}
	out, err := exec.Command(bin, append([]string{"-failure-threshold", "Warning"}, dirs...)...).CombinedOutput()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatalf("istio-analyze: %v", err)
	}
	return string(out), err == nil
}

// failing counts the report's messages at Warning or worse.
func failing(report string) int {
	return strings.Count(report, "Warning [IST") + strings.Count(report, "Error [IST")
}

// TestIstioAnalyzerJudgesEveryStack: Istio's own analyzers find no warning
// or error in what each stack would apply, its Helm releases included
// (render mode cannot write them; they are rendered with the same charts
// and values), for dev, prod and the sandbox and the variants the engine
// tests render (Kiali and Istio's dashboards, which no registry here lets
// the sandbox run, are proven this way and by the unit tests). A broken route and a broken Gateway selector beside the
// stack are caught, which shows the analyzers judge against the stack's
// own Services and the pods its workloads would run.
func TestIstioAnalyzerJudgesEveryStack(t *testing.T) {
	eng := newEngine(t)
	variants := []struct {
		name, stack string
		config      map[string]string
		// check judges the rendered objects, keyed "Kind/namespace/name".
		check func(t *testing.T, m map[string]map[string]interface{})
	}{
		{"dev", "dev", nil, nil},
		{"prod", "prod", nil, nil},
		{"sandbox", "sandbox", nil, nil},
		{"dev gateway-api", "dev", map[string]string{"istio:ingress": `{"api": "gateway-api", "type": "NodePort", "httpNodePort": 31380, "host": "127.0.0.1"}`}, nil},
		{"prod revisions", "prod", map[string]string{"istio:revisions": `[{"name": "1-31-4"}, {"name": "canary"}]`,
			"istio:revisionTags": `{"prod-stable": "canary"}`, "istio:appRevision": "prod-stable"}, nil},
		{"dev proxyless grpc", "dev", map[string]string{"chain:transport": "grpc"}, nil},
		{"prod kiali and dashboards", "prod", map[string]string{"telemetry:kiali": "true", "telemetry:grafanaDashboards": "true"}, checkKialiAndDashboards},
		{"dev traffic management", "dev", map[string]string{"chain:traffic": trafficConfig}, nil},
		{"dev traffic management on the first hop", "dev", map[string]string{"chain:traffic": `{"a": {"versions": [{"name": "v1", "weight": 50}, {"name": "v2", "weight": 50}], "timeout": "3s"}}`}, nil},
		{"sandbox traffic management", "sandbox", map[string]string{"chain:traffic": trafficConfig}, nil},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			o := overrides(t, v.stack)
			for k, val := range v.config {
				o[k] = auto.ConfigValue{Value: val}
			}
			stackDir, releasesDir := t.TempDir(), t.TempDir()
			if _, err := eng.Render(context.Background(), v.stack, stackDir, o); err != nil {
				t.Fatal(err)
			}
			if v.check != nil {
				v.check(t, manifests(t, stackDir))
			}
			writeReleases(t, releasesDir, stackReleases(t, v.stack, v.config))
			report, ok := analyze(t, stackDir, releasesDir)
			if !ok {
				t.Fatalf("Istio's analyzers find warnings or errors in the %s stack:\n%s", v.name, report)
			}
			t.Logf("istio-analyze: %s", strings.TrimSpace(report))
			if v.name != "dev" {
				return
			}
			// Beside the stack, a route to a host no Service serves and a
			// Gateway whose selector picks no gateway pod: the analyzers
			// judge Istio's objects against the stack's Services and
			// against the pods its workloads run, injected as istiod would.
			broken := `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: broken-route
  namespace: playground
spec:
  hosts: ["service-a.playground.svc.cluster.local"]
  http:
  - route:
    - destination: {host: service-z.playground.svc.cluster.local, port: {number: 8000}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: broken-selector
  namespace: playground
spec:
  selector:
    istio: no-such-gateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
`
			if err := os.WriteFile(filepath.Join(releasesDir, "broken.yaml"), []byte(broken), 0o644); err != nil {
				t.Fatal(err)
			}
			report, ok = analyze(t, stackDir, releasesDir)
			if ok || failing(report) != 2 || !strings.Contains(report, "(VirtualService playground/broken-route") || !strings.Contains(report, "(Gateway playground/broken-selector") {
				t.Errorf("with a route to a host no Service serves and a Gateway selecting no pod, istio-analyze reports (passed %v), want it to name those two only:\n%s", ok, report)
			}
		})
	}
}

// checkKialiAndDashboards: the provider renders Kiali (its Deployment,
// read-only ClusterRole and binding, configuration, NetworkPolicy and
// Service) and Istio's dashboards with their provider, mounted into
// Grafana; Kiali's and Grafana's pods meet the restricted Pod Security
// Standard like the stack's others (TestRenderedWorkloadsAreRestricted
// renders the stacks with both off).
func checkKialiAndDashboards(t *testing.T, m map[string]map[string]interface{}) {
	t.Helper()
	for _, key := range []string{"Deployment/istio-system/kiali", "Deployment/istio-system/grafana"} {
		checkRestricted(t, key, get(m[key], "spec.template.spec"))
	}
	for _, key := range []string{
		"Deployment/istio-system/kiali", "ClusterRole//kiali-viewer", "ClusterRoleBinding//kiali-viewer", "ConfigMap/istio-system/kiali",
		"NetworkPolicy/istio-system/kiali-port-forward-only", "Service/istio-system/kiali",
		"ConfigMap/istio-system/istio-grafana-dashboards", "ConfigMap/istio-system/grafana-dashboard-providers",
	} {
		if m[key] == nil {
			t.Errorf("%s not rendered", key)
		}
	}
	for _, r := range get(m["ClusterRole//kiali-viewer"], "rules").([]interface{}) {
		for _, verb := range get(r, "verbs").([]interface{}) {
			if verb != "get" && verb != "list" && verb != "watch" {
				t.Errorf("kiali-viewer renders the verb %v", verb)
			}
		}
	}
	dashboards := mapAt(m["ConfigMap/istio-system/istio-grafana-dashboards"], "data")
	if len(dashboards) != 4 {
		t.Errorf("the dashboards ConfigMap holds %d dashboards, want 4", len(dashboards))
	}
	var volumes []string
	for _, v := range get(m["Deployment/istio-system/grafana"], "spec.template.spec.volumes").([]interface{}) {
		if name := str(get(v, "configMap.name")); name != "" {
			volumes = append(volumes, name)
		}
	}
	for _, want := range []string{"istio-grafana-dashboards", "grafana-dashboard-providers"} {
		if !slices.Contains(volumes, want) {
			t.Errorf("Grafana mounts %v, not %s", volumes, want)
		}
	}
}
