package engine_test

import (
	"context"
	"fmt"
	playk8s "github.com/play-kubernetes/play-kubernetes"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/infra/stack"
	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
	"github.com/play-kubernetes/play-kubernetes/internal/stackfile"
	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/loader"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

const releaseType = "kubernetes:helm.sh/v3:Release"

// renderedRelease is one Helm release the stack registers, rendered by
// Helm's own engine with exactly the chart and values the stack passes.
type renderedRelease struct {
	name, namespace string
	objects         []map[string]interface{}
}

// stackReleases evaluates a stack under mocks and renders each of its Helm
// releases client-side, as `helm template` would: no cluster needed.
// overrides are config values set on top of the stack file's.
func stackReleases(t *testing.T, stackName string, overrides map[string]string) []renderedRelease {
	t.Helper()
	charts, err := layout.IstioModuleCharts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := stackfile.Load("../../Pulumi." + stackName + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg["istio:chartDir"] = charts
	cfg["chain:image"] = prebuiltImage
	for k, v := range overrides {
		cfg[k] = v
	}
	var secrets []string
	if cfg["telemetry:grafana"] == "true" {
		// Supplied, so the program needs no pulumi-random.
		cfg["telemetry:grafanaAdminPassword"] = "chart-test-password"
		secrets = append(secrets, "telemetry:grafanaAdminPassword")
	}
	mocks, err := pulumimock.RunWithSecrets(t, cfg, secrets, stack.ProgramOn(stack.KnownCluster{Version: playk8s.Version("K8S_VERSION")}))
	if err != nil {
		t.Fatal(err)
	}
	var out []renderedRelease
	for _, r := range mocks.OfType(releaseType) {
		name, ns, path := fmt.Sprint(r.Get("name")), fmt.Sprint(r.Get("namespace")), fmt.Sprint(r.Get("chart"))
		values, _ := r.Get("values").(map[string]interface{})
		chart, err := loader.Load(path)
		if err != nil {
			t.Fatalf("release %s: %v", name, err)
		}
		install := action.NewInstall(&action.Configuration{})
		install.DryRunStrategy, install.Replace = action.DryRunClient, true
		install.ReleaseName, install.Namespace = name, ns
		// The sandbox's Kubernetes: the charts' kubeVersion and templates
		// on .Capabilities judge it.
		if install.KubeVersion, err = common.ParseKubeVersion(playk8s.Version("K8S_VERSION")); err != nil {
			t.Fatal(err)
		}
		result, err := install.Run(chart, values)
		if err != nil {
			t.Fatalf("rendering release %s with the stack's values: %v", name, err)
		}
		rel, ok := result.(*releasev1.Release)
		if !ok {
			t.Fatalf("release %s rendered as %T", name, result)
		}
		rr := renderedRelease{name: name, namespace: ns}
		for _, doc := range strings.Split(rel.Manifest, "\n---\n") {
			var obj map[string]interface{}
			if err := yaml.Unmarshal([]byte(doc), &obj); err == nil && obj != nil {
				rr.objects = append(rr.objects, obj)
			}
		}
		out = append(out, rr)
	}
	// The ingress gateway is a release of its own unless the Gateway API
	// makes it (istio:ingress.api gateway-api).
	if len(out) < 3 {
		t.Fatalf("the %s stack registers %d Helm releases, want at least base, cni, istiod", stackName, len(out))
	}
	return out
}

// TestIstioChartsPassPodSecurity is the fast guard for the pods Istio's
// charts own: rendered with the stack's values, every workload is admitted
// by the Pod Security level its namespace enforces, judged by the API
// server's own admission checks (k8s.io/pod-security-admission), and every
// container has requests and limits. istiod and the gateway run in the
// restricted istio-system; istio-cni's node agent needs privileged, and
// gets its own namespace for it.
func TestIstioChartsPassPodSecurity(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads the pinned istio.io/istio module for its charts")
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	levels := map[string]psaapi.Level{"istio-system": psaapi.LevelRestricted, "istio-cni": psaapi.LevelPrivileged}
	for _, stackName := range []string{"dev", "prod"} {
		t.Run(stackName, func(t *testing.T) {
			workloads := 0
			for _, rel := range stackReleases(t, stackName, nil) {
				level, ok := levels[rel.namespace]
				if !ok {
					t.Errorf("release %s installs into %s, whose Pod Security level this test does not know", rel.name, rel.namespace)
					continue
				}
				for _, obj := range rel.objects {
					kind := fmt.Sprint(obj["kind"])
					if kind != "Deployment" && kind != "DaemonSet" {
						continue
					}
					workloads++
					key := fmt.Sprintf("%s %s/%s (release %s)", kind, rel.namespace, get(obj, "metadata.name"), rel.name)
					var tmpl corev1.PodTemplateSpec
					if err := runtime.DefaultUnstructuredConverter.FromUnstructured(get(obj, "spec.template").(map[string]interface{}), &tmpl); err != nil {
						t.Fatalf("%s: %v", key, err)
					}
					results := evaluator.EvaluatePod(psaapi.LevelVersion{Level: level, Version: psaapi.LatestVersion()}, &tmpl.ObjectMeta, &tmpl.Spec)
					for _, r := range results {
						if !r.Allowed {
							t.Errorf("%s: refused by Pod Security %q: %s (%s)", key, level, r.ForbiddenReason, r.ForbiddenDetail)
						}
					}
					for _, c := range tmpl.Spec.Containers {
						if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() ||
							c.Resources.Limits.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
							t.Errorf("%s container %s: requests and limits not both set: %v", key, c.Name, c.Resources)
						}
					}
				}
			}
			if workloads < 3 {
				t.Errorf("only %d chart workloads rendered (want istiod, the gateway and istio-cni's node agent)", workloads)
			}
		})
	}
}
