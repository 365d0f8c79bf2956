package gatewayapi

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	playk8s "github.com/play-kubernetes/play-kubernetes"
)

// TestEmbeddedManifestsAreTheModules: the embedded copy is byte for byte
// the standard channel of the sigs.k8s.io/gateway-api version go.mod
// requires (GATEWAY_API_VERSION; versions_test checks they agree), so
// bumping one without hack/update-gateway-api-crds.sh fails here.
func TestEmbeddedManifestsAreTheModules(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api").Output()
	if err != nil {
		t.Fatalf("go list -m sigs.k8s.io/gateway-api: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "config", "crd", "standard")
	want, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(want) == 0 {
		t.Fatalf("no manifests in %s (%v)", dir, err)
	}
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(want) {
		t.Errorf("embedded %d manifests, the module has %d: run hack/update-gateway-api-crds.sh", len(files), len(want))
	}
	for _, path := range want {
		name := filepath.Base(path)
		module, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		embedded, err := Read(name)
		if err != nil {
			t.Errorf("%s is not embedded: run hack/update-gateway-api-crds.sh", name)
			continue
		}
		if !bytes.Equal(module, embedded) {
			t.Errorf("%s differs from the module's: run hack/update-gateway-api-crds.sh", name)
		}
	}
}

func TestStandardObjects(t *testing.T) {
	objs, err := Standard()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	names := map[string]bool{}
	for _, o := range objs {
		kinds[o.Kind]++
		names[o.Name] = true
		if o.Fields["spec"] == nil {
			t.Errorf("%s %s has no spec", o.Kind, o.Name)
		}
		if got := o.Annotations["gateway.networking.k8s.io/bundle-version"]; got != playk8s.Version("GATEWAY_API_VERSION") {
			t.Errorf("%s %s: bundle-version %q, want GATEWAY_API_VERSION %s", o.Kind, o.Name, got, playk8s.Version("GATEWAY_API_VERSION"))
		}
		if o.Annotations["gateway.networking.k8s.io/channel"] != "standard" {
			t.Errorf("%s %s is not of the standard channel", o.Kind, o.Name)
		}
	}
	// What an Istio ingress on the Gateway API needs, at least.
	for _, crd := range []string{"gatewayclasses.gateway.networking.k8s.io", "gateways.gateway.networking.k8s.io", "httproutes.gateway.networking.k8s.io", "referencegrants.gateway.networking.k8s.io"} {
		if !names[crd] {
			t.Errorf("no CRD %s", crd)
		}
	}
	if kinds["ValidatingAdmissionPolicy"] != 1 || kinds["ValidatingAdmissionPolicyBinding"] != 1 {
		t.Errorf("kinds %v: want the safe-upgrades policy and its binding", kinds)
	}
}

func TestDecodeRefusesObjectsWithoutIdentity(t *testing.T) {
	for _, doc := range []string{"kind: X\nmetadata: {name: a}\n", "apiVersion: v1\nmetadata: {name: a}\n", "apiVersion: v1\nkind: X\n"} {
		if _, err := decode([]byte(doc)); err == nil {
			t.Errorf("decode(%q) accepted an object without identity", doc)
		}
	}
	objs, err := decode([]byte("---\n# a comment only\n---\napiVersion: v1\nkind: X\nmetadata: {name: a}\nspec: {}\nstatus: {x: 1}\n"))
	if err != nil || len(objs) != 1 || objs[0].Fields["status"] != nil {
		t.Errorf("decode: %v %+v; want one object, status dropped", err, objs)
	}
}
