package playk8s_test

import (
	"os"
	"strings"
	"testing"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"golang.org/x/mod/modfile"
)

// TestSDKPinsMatchGoMod: versions.env lists the Go SDK versions for users to
// read; go.mod is what builds. They must not drift apart.
func TestSDKPinsMatchGoMod(t *testing.T) {
	raw, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := modfile.Parse("go.mod", raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	required := map[string]string{}
	for _, r := range mod.Require {
		required[r.Mod.Path] = r.Mod.Version
	}
	for key, path := range map[string]string{
		"PULUMI_SDK_VERSION":            "github.com/pulumi/pulumi/sdk/v3",
		"PULUMI_KUBERNETES_SDK_VERSION": "github.com/pulumi/pulumi-kubernetes/sdk/v4",
		"PULUMI_DOCKER_SDK_VERSION":     "github.com/pulumi/pulumi-docker/sdk/v4",
		"PULUMI_RANDOM_SDK_VERSION":     "github.com/pulumi/pulumi-random/sdk/v4",
	} {
		if got, want := required[path], playk8s.Version(key); got != want {
			t.Errorf("go.mod requires %s %s, versions.env says %s=%s", path, got, key, want)
		}
	}
	// The kubernetes provider the engine runs must be the one the SDK asks for.
	if sdk, provider := playk8s.Version("PULUMI_KUBERNETES_SDK_VERSION"), playk8s.Version("PULUMI_KUBERNETES_PROVIDER_VERSION"); strings.TrimPrefix(sdk, "v") != provider {
		t.Errorf("kubernetes SDK %s but provider %s", sdk, provider)
	}
}

func TestVersionsEnvIsWellFormed(t *testing.T) {
	for key, value := range playk8s.Versions() {
		if value == "" || strings.ContainsAny(value, " \"'") {
			t.Errorf("%s=%q: values must be non-empty, unquoted and without spaces (make includes this file)", key, value)
		}
	}
	for _, key := range []string{"ISTIO_CHART_REPO", "ISTIO_VERSION", "JAEGER_IMAGE", "PROMETHEUS_IMAGE", "GRAFANA_IMAGE", "JAEGER_VERSION"} {
		if _, ok := playk8s.Versions()[key]; !ok {
			t.Errorf("versions.env lacks %s", key)
		}
	}
}
