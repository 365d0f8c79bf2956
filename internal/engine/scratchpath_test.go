package engine

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/configset"
	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/stackfile"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// TestScratchSetsPathsAsChecked: a scratch stack's overrides are set by
// the pinned CLI (`pulumi config set-all --path`), and what the stack then
// holds is what configset.Apply gave playk8s' checks before the run: the
// same objects kept and changed, the same values typed, the same keys
// secret. It needs the pinned CLI and provider (make tools) and skips
// without.
func TestScratchSetsPathsAsChecked(t *testing.T) {
	root := projectRoot(t)
	for _, p := range []string{layout.New(root).PulumiCLI(), layout.New(root).Provider()} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is not built (make tools)", p)
		}
	}
	work := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	stackFile := `config:
  webserver:replicas: 3
  istio:ingress:
    type: NodePort
    httpNodePort: 31380
    nodeSelector:
      kubernetes.io/os: linux
  chain:hops: [a, b, c]
`
	for name, body := range map[string][]byte{"Pulumi.yaml": raw, "Pulumi.t.yaml": []byte(stackFile)} {
		if err := os.WriteFile(filepath.Join(work, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, ".tools"), filepath.Join(work, ".tools")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "scratch path test")
	t.Setenv("PULUMI_BACKEND_URL", "")
	ctx := context.Background()
	eng, err := New(ctx, Options{Root: work})
	if err != nil {
		t.Fatal(err)
	}
	overrides := map[string]auto.ConfigValue{
		"istio:ingress.api":                               {Value: "gateway-api"},
		"istio:ingress.replicas":                          {Value: "2"},
		`istio:ingress.nodeSelector["node.example/pool"]`: {Value: "ingress"},
		"istio:ingress.host":                              {Value: "10.0.0.7", Secret: true},
		"chain:hops[3]":                                   {Value: "true"},
		"webserver:replicas":                              {Value: "5"},
		"istio:mesh.a[1].b":                               {Value: "x"},
	}
	cfg, err := stackfile.Config(filepath.Join(work, "Pulumi.t.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	checked, err := configset.Apply(cfg, overrides)
	if err != nil {
		t.Fatal(err)
	}
	s, err := eng.NewScratch(ctx, "t", overrides)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	held, err := s.Stack.GetAllConfigWithOptions(ctx, &auto.GetAllConfigOptions{ShowSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range checked {
		got, ok := held[key]
		if !ok {
			t.Errorf("%s: not set on the stack", key)
			continue
		}
		if !sameJSON(got.Value, want.Raw) || got.Secret != want.Secret {
			t.Errorf("%s: the stack holds %s (secret %v), the checks judged %s (secret %v)", key, got.Value, got.Secret, want.Raw, want.Secret)
		}
	}
	if !strings.Contains(held["istio:ingress"].Value, `"type":"NodePort"`) {
		t.Errorf("the path dropped the rest of istio:ingress: %s", held["istio:ingress"].Value)
	}

	if _, err := eng.NewScratch(ctx, "t", map[string]auto.ConfigValue{"istio:ingress": {Value: "{}"}, "istio:ingress.api": {Value: "x"}}); err == nil || !strings.Contains(err.Error(), "overlap") {
		t.Errorf("overlapping overrides: %v; want them refused", err)
	}
}

func sameJSON(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return a == b
	}
	return reflect.DeepEqual(va, vb)
}
