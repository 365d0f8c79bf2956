package engine

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
// for runs that must not reach a chart repository. The real-engine tests,
// the e2e tests and the bench take their charts from it: they run in
// scratch stacks of their own (test/engine without any sandbox), so the
// .state/istio-charts link `make sandbox` makes to the same directory for
// Pulumi.sandbox.yaml is not theirs to rely on.
func IstioModuleCharts(ctx context.Context) (string, error) {
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
	return filepath.Join(info.Dir, "manifests", "charts"), nil
}
