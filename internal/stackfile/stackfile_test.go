package stackfile_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/stackfile"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
)

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Pulumi.x.yaml")
	body := `config:
  webserver:replicas: 3
  webserver:image: nginx:stable-alpine
  telemetry:samplingPercent: 0.5
  telemetry:tracing: true
  chain:hops: [a, b]
  istio:ingress:
    type: NodePort
    httpNodePort: 31380
  chain:registryPassword:
    secure: AAABAKc2
`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	values, err := stackfile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"webserver:replicas":        "3",
		"webserver:image":           "nginx:stable-alpine",
		"telemetry:samplingPercent": "0.5",
		"telemetry:tracing":         "true",
		"chain:hops":                `["a","b"]`,
		"istio:ingress":             `{"httpNodePort":31380,"type":"NodePort"}`,
	}
	if !reflect.DeepEqual(values, want) {
		t.Errorf("Load = %v\nwant %v", values, want)
	}
	withSecrets, secure, err := stackfile.LoadWithSecrets(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(secure, []string{"chain:registryPassword"}) || withSecrets["chain:registryPassword"] != stackfile.EncryptedPlaceholder {
		t.Errorf("secure keys = %v, value %q", secure, withSecrets["chain:registryPassword"])
	}
	if _, err := stackfile.Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a missing stack file was accepted")
	}
}

// TestConfig: Config keeps each value's kind, as `pulumi config set
// --path` sees it: a path goes into an object, not into a text holding
// JSON, nor into an encrypted value.
func TestConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Pulumi.x.yaml")
	body := `config:
  webserver:replicas: 3
  istio:ingress:
    type: NodePort
  istio:text: '{"type":"NodePort"}'
  chain:registryPassword:
    secure: AAABAKc2
`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := stackfile.Config(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		raw            string
		object, secure bool
	}{
		"webserver:replicas":     {"3", false, false},
		"istio:ingress":          {`{"type":"NodePort"}`, true, false},
		"istio:text":             {`{"type":"NodePort"}`, false, false},
		"chain:registryPassword": {"AAABAKc2", false, true},
	}
	if len(cfg) != len(want) {
		t.Errorf("Config = %v, want %d keys", cfg, len(want))
	}
	for k, v := range cfg {
		w, ok := want[k.String()]
		raw, _ := v.Value(config.NopDecrypter)
		if !ok || raw != w.raw || v.Object() != w.object || v.Secure() != w.secure {
			t.Errorf("%s = %q (object %v, secure %v), want %+v", k.String(), raw, v.Object(), v.Secure(), w)
		}
	}
	empty := filepath.Join(t.TempDir(), "Pulumi.empty.yaml")
	if err := os.WriteFile(empty, []byte("encryptionsalt: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if cfg, err := stackfile.Config(empty); err != nil || cfg == nil || len(cfg) != 0 {
		t.Errorf("a stack file without config: %v, %v; want an empty map", cfg, err)
	}
}
