package istiodashboards

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
)

// TestEmbeddedDashboardsAreTheModules: each embedded dashboard is byte
// for byte the pinned istio.io/istio module's (ISTIO_MODULE_VERSION), and
// nothing else is embedded, so moving the pin without
// hack/update-istio-dashboards.sh fails here when the dashboards changed.
func TestEmbeddedDashboardsAreTheModules(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads the pinned istio.io/istio module for its dashboards")
	}
	module, err := layout.IstioModule(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Files() {
		want, err := os.ReadFile(filepath.Join(module, filepath.FromSlash(ModuleDir), name))
		if err != nil {
			t.Errorf("the pinned istio.io/istio module lacks %s: pick its dashboards again in Files and run hack/update-istio-dashboards.sh (%v)", name, err)
			continue
		}
		got, err := Read(name)
		if err != nil {
			t.Errorf("%s is not embedded: run hack/update-istio-dashboards.sh", name)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the pinned module's: run hack/update-istio-dashboards.sh", name)
		}
	}
	embeddedNames, err := fs.Glob(embedded, Dir+"/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range embeddedNames {
		if !slices.Contains(Files(), filepath.Base(p)) {
			t.Errorf("%s is embedded but not one of Files: remove it", p)
		}
	}
}

// TestCompactIsTheSameDashboard: compacting keeps every value (the JSON
// decodes equal), and one ConfigMap's data holding the four, as JSON (what
// client-side apply copies into its last-applied annotation, every quote
// escaped), stays under an annotation's 262144 bytes with room for the
// object's metadata: the stricter of a ConfigMap's limits (1 MiB of data).
func TestCompactIsTheSameDashboard(t *testing.T) {
	data := map[string]string{}
	for _, name := range Files() {
		raw, err := Read(name)
		if err != nil {
			t.Fatal(err)
		}
		compact, err := Compact(name)
		if err != nil {
			t.Fatal(err)
		}
		var a, b interface{}
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(compact), &b); err != nil {
			t.Fatal(err)
		}
		if !jsonEqual(a, b) {
			t.Errorf("%s compacted decodes to another dashboard", name)
		}
		if len(compact) >= len(raw) {
			t.Errorf("%s compacted is %d bytes, the file %d", name, len(compact), len(raw))
		}
		data[name] = compact
	}
	asJSON, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	if limit := 262144 - 4096; len(asJSON) >= limit {
		t.Errorf("the dashboards' ConfigMap data is %d bytes as JSON, beyond %d (an annotation's 262144 less room for metadata): split them over ConfigMaps", len(asJSON), limit)
	}
	t.Logf("the dashboards' ConfigMap data: %d bytes as JSON", len(asJSON))
}

func jsonEqual(a, b interface{}) bool {
	x, err := json.Marshal(a)
	if err != nil {
		return false
	}
	y, err := json.Marshal(b)
	return err == nil && bytes.Equal(x, y)
}
