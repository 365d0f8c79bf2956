package e2e

import (
	"encoding/json"
	"path/filepath"
	"testing"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/stackfile"
	"github.com/play-kubernetes/play-kubernetes/test/utils"
)

// TestSandboxStackFile needs no sandbox: Pulumi.sandbox.yaml must point at
// what `sandbox up` writes and at the images `make tools` builds and up
// imports (nothing can be pulled or built with a container engine there),
// keep Envoy's pods off the real node, and stay free of machine paths.
func TestSandboxStackFile(t *testing.T) {
	root, err := utils.ProjectDir()
	if err != nil {
		t.Fatal(err)
	}
	l := layout.New(root)
	charts := l.Rel(l.IstioCharts())
	cfg, err := stackfile.Load(filepath.Join(root, "Pulumi.sandbox.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"kubernetes:context":        "sandbox",
		"istio:chartDir":            charts,
		"webserver:image":           playk8s.Version("SANDBOX_NGINX_IMAGE"),
		"chain:image":               playk8s.Version("SANDBOX_SAMPLE_APP_IMAGE"),
		"telemetry:jaegerImage":     playk8s.Version("SANDBOX_JAEGER_IMAGE"),
		"telemetry:prometheusImage": playk8s.Version("SANDBOX_PROMETHEUS_IMAGE"),
		"istio:hub":                 playk8s.Version("SANDBOX_ISTIO_HUB"),
		"istio:tag":                 playk8s.Version("SANDBOX_ISTIO_TAG"),
		"istio:sidecarInjection":    "false",
		"chain:transport":           "grpc",
		"telemetry:grafana":         "false",
	} {
		if got := cfg[key]; got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if _, ok := cfg["chain:build"]; ok {
		t.Error("chain:build is set: the sandbox has no container engine to build with")
	}

	// The gateway needs Envoy: it must select the simulated node and
	// tolerate its taint (internal/layout), or it would be scheduled
	// on the real node and never start.
	var ingress struct {
		NodeSelector map[string]string `json:"nodeSelector"`
		Tolerations  []struct {
			Key, Operator, Value, Effect string
		} `json:"tolerations"`
	}
	if err := json.Unmarshal([]byte(cfg["istio:ingress"]), &ingress); err != nil {
		t.Fatalf("istio:ingress: %v", err)
	}
	if ingress.NodeSelector[simulatedLabel] != "true" {
		t.Errorf("istio:ingress.nodeSelector = %v, want %s: \"true\"", ingress.NodeSelector, simulatedLabel)
	}
	tolerated := false
	for _, tol := range ingress.Tolerations {
		tolerated = tolerated || (tol.Key == simulatedLabel && tol.Effect == "NoSchedule")
	}
	if !tolerated {
		t.Errorf("istio:ingress.tolerations = %+v, want one for the %s NoSchedule taint", ingress.Tolerations, simulatedLabel)
	}

	// The CNI directories are the sandbox's containerd's (/run/<netns>/cni).
	var cni struct{ BinDir, ConfDir string }
	if err := json.Unmarshal([]byte(cfg["istio:cni"]), &cni); err != nil {
		t.Fatalf("istio:cni: %v", err)
	}
	ns := layout.Netns{Name: sandboxNetns}
	if cni.BinDir != ns.CNIBinDir() || cni.ConfDir != ns.CNIConfDir() {
		t.Errorf("istio:cni dirs %q, %q; want the sandbox's %s and %s", cni.BinDir, cni.ConfDir, ns.CNIBinDir(), ns.CNIConfDir())
	}
}
