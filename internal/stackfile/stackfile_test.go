package stackfile_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/stackfile"
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
