package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/kubeversion"
	"github.com/play-kubernetes/play-kubernetes/internal/layout"
)

// TestPinnedKubernetesRangeIsIstios: the oldest Kubernetes versions.env
// says the pinned Istio supports is the one the pinned istio.io/istio
// module itself requires (istioctl's install check,
// istioctl/pkg/install/k8sversion.MinK8SVersion). The newest comes from
// Istio's supported-releases page only; the module does not hold it.
func TestPinnedKubernetesRangeIsIstios(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the pinned istio.io/istio module (make test downloads it)")
	}
	charts, err := layout.IstioModuleCharts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(charts, "..", "..", "istioctl", "pkg", "install", "k8sversion", "version.go"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`MinK8SVersion\s*=\s*(\d+)`).FindSubmatch(src)
	if m == nil {
		t.Fatal("no MinK8SVersion in the pinned module's k8sversion/version.go")
	}
	if got, want := string(m[1]), strconv.FormatUint(uint64(kubeversion.Pinned().Min.Minor()), 10); got != want {
		t.Errorf("the pinned Istio requires Kubernetes 1.%s; versions.env's ISTIO_KUBERNETES_MIN says 1.%s", got, want)
	}
}
