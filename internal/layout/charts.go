package layout

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"

	playk8s "github.com/play-kubernetes/play-kubernetes"
)

// IstioModuleCharts returns the Istio charts directory of the istio.io/istio
// module pinned in versions.env, downloading the module through the Go
// module proxy when it is not cached: a local chart source (istio:chartDir)
// for runs that must not reach a chart repository. The sandbox links
// IstioCharts to it for Pulumi.sandbox.yaml; the real-engine tests, the
// e2e tests and the bench run in scratch stacks of their own and take it
// from here.
func IstioModuleCharts(ctx context.Context) (string, error) {
	dir, err := IstioModule(ctx)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "manifests", "charts"), nil
}

// IstioModule returns the directory of the istio.io/istio module pinned in
// versions.env, downloading it through the Go module proxy when it is not
// cached: the source of the charts (IstioModuleCharts) and of the copies
// the program embeds from it (Istio's Grafana dashboards), which tests
// compare with it.
func IstioModule(ctx context.Context) (string, error) {
	mod := "istio.io/istio@" + playk8s.Version("ISTIO_MODULE_VERSION")
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", mod)
	cmd.Dir = filepath.Clean("/") // outside any module: no go.mod is read or changed
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %w", mod, err)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return "", err
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %s", mod, info.Error)
	}
	return info.Dir, nil
}

// IstioChartsSuffix is how a charts directory of the pinned module ends
// (<module cache>/istio.io/istio@<version>/manifests/charts): a link that
// ends so and exists needs no download.
func IstioChartsSuffix() string {
	return filepath.Join("istio.io", "istio@"+playk8s.Version("ISTIO_MODULE_VERSION"), "manifests", "charts")
}
