package e2e

import (
	"path/filepath"
	"testing"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/internal/stackfile"
	"github.com/play-kubernetes/play-kubernetes/test/utils"
)

// TestSandboxStackFile needs no sandbox: Pulumi.sandbox.yaml must point at
// what hack/sandbox.sh writes and deploy the published sample-app image
// (nothing can be built for the sandbox), and stay free of machine paths.
func TestSandboxStackFile(t *testing.T) {
	root, err := utils.ProjectDir()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := stackfile.Load(filepath.Join(root, "Pulumi.sandbox.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"kubernetes:context": "sandbox",
		"istio:chartDir":     ".state/istio-charts",
		"chain:image":        playk8s.Version("SAMPLE_APP_IMAGE"),
		"telemetry:grafana":  "false",
	} {
		if got := cfg[key]; got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if _, ok := cfg["chain:build"]; ok {
		t.Error("chain:build is set: the sandbox has no container engine to build with")
	}
}
