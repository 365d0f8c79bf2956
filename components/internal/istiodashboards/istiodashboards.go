// Package istiodashboards holds Istio's Grafana dashboards for the mesh, a
// service, a workload and the control plane, as the istio.io/istio module
// at ISTIO_MODULE_VERSION (versions.env) ships them in
// manifests/addons/dashboards (the dashboards Istio's Grafana addon
// installs). They are copied from the module (hack/update-istio-dashboards.sh)
// and embedded, so provisioning them fetches nothing and needs no module
// cache when the stack runs; a test checks the copy against the module.
package istiodashboards

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"path"
)

//go:embed dashboards/*.json
var embedded embed.FS

// Dir is where the dashboards sit in this package's source.
const Dir = "dashboards"

// ModuleDir is where they sit in the istio.io/istio module.
const ModuleDir = "manifests/addons/dashboards"

// Files are the embedded dashboards' names, the module's own: the mesh,
// a service, a workload (Istio's standard metrics, reported by every
// proxy) and the control plane (istiod's). Istio's addon also ships the
// extension, performance and ztunnel dashboards; the stack runs neither
// Wasm extensions, a load test nor ambient mode, so they would be empty.
func Files() []string {
	return []string{
		"istio-mesh-dashboard.gen.json",
		"istio-service-dashboard.json",
		"istio-workload-dashboard.json",
		"pilot-dashboard.gen.json",
	}
}

// Read is one embedded dashboard as the module has it, byte for byte.
func Read(name string) ([]byte, error) { return embedded.ReadFile(path.Join(Dir, name)) }

// Compact is one dashboard with the JSON's insignificant whitespace
// removed, as Istio's addon puts it in its ConfigMaps (jq -c there): the
// indented files together are larger than the 262144 bytes of an
// annotation, where client-side apply copies a ConfigMap (last-applied);
// compacted, one ConfigMap holds the four with room to spare (a test
// checks).
func Compact(name string) (string, error) {
	raw, err := Read(name)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	if err := json.Compact(&out, raw); err != nil {
		return "", fmt.Errorf("istio dashboard %s: %w", name, err)
	}
	return out.String(), nil
}
