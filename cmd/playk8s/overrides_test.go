package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/engine"
)

// overrideStack is a stack file as users write one: an object, a list,
// a secret.
const overrideStack = `config:
  webserver:replicas: 3
  istio:ingress:
    type: NodePort
    httpNodePort: 31380
    host: 127.0.0.1
  chain:image: ghcr.io/play-kubernetes/sample-app:1
  chain:hops: [a, b, c]
  telemetry:grafana: true
  telemetry:grafanaAdminPassword:
    secure: AAABAKc2
`

// TestRenderOverridesWithPaths: render's overrides take the keys
// `pulumi config set --path` takes; the stack file's checks judge the
// stack's value with the override in it, and refuse what they refused.
func TestRenderOverridesWithPaths(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "Pulumi.t.yaml"), []byte(overrideStack), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("INGRESS_HOST", "10.0.0.7")
	ingress := func(fields string) string {
		return `{"type":"NodePort","httpNodePort":31380,"host":"127.0.0.1"` + fields + `}`
	}
	cases := []struct {
		name string
		args []string
		// want are values the checks read (JSON compared as JSON).
		want map[string]string
		// secure are the keys read as secrets.
		secure []string
		// refused are the refusal's words; none: accepted.
		refused []string
	}{
		{
			name: "a field of the stack's object; the rest is kept",
			args: []string{"-set", "istio:ingress.api=gateway-api"},
			want: map[string]string{"istio:ingress": ingress(`,"api":"gateway-api"`), "webserver:replicas": "3"},
		},
		{
			name: "a list entry",
			args: []string{"-set", "chain:hops[1]=x"},
			want: map[string]string{"chain:hops": `["a","x","c"]`},
		},
		{
			name: "a quoted field name with dots",
			args: []string{"-set", `istio:ingress.nodeSelector["kubernetes.io/hostname"]=ingress-1`},
			want: map[string]string{"istio:ingress": ingress(`,"nodeSelector":{"kubernetes.io/hostname":"ingress-1"}`)},
		},
		{
			name: "through -flags, as make passes RENDER_FLAGS",
			args: []string{"-flags", `-set istio:ingress={"api": "gateway-api", "type": "LoadBalancer", "httpNodePort": 0} -set webserver:replicas=2`},
			want: map[string]string{"istio:ingress": `{"api":"gateway-api","type":"LoadBalancer","httpNodePort":0}`, "webserver:replicas": "2"},
		},
		{
			name:   "a secret at a path",
			args:   []string{"-set-secret-env", "istio:ingress.host=INGRESS_HOST"},
			want:   map[string]string{"istio:ingress": `{"type":"NodePort","httpNodePort":31380,"host":"10.0.0.7"}`},
			secure: []string{"istio:ingress", "telemetry:grafanaAdminPassword"},
		},
		{
			name:    "a plaintext value over a secret key is no secret",
			args:    []string{"-set", "telemetry:grafanaAdminPassword=plain"},
			refused: []string{"telemetry:grafanaAdminPassword: (a plaintext value) is not accepted", "set it with `pulumi config set --secret telemetry:grafanaAdminPassword`"},
		},
		{
			name:    "an unknown top-level key",
			args:    []string{"-set", "istio:ingres.api=gateway-api"},
			refused: []string{"istio:ingres: (unknown key)", "did you mean istio:ingress?"},
		},
		{
			name:    "an unknown field",
			args:    []string{"-set", "istio:ingress.apii=gateway-api"},
			refused: []string{"istio:ingress:", "apii"},
		},
		{
			name:    "a value the field refuses",
			args:    []string{"-set", "istio:ingress.api=ambient"},
			refused: []string{"istio:ingress.api:", `"ambient"`},
		},
		{
			name:    "a path into a number",
			args:    []string{"-set", "webserver:replicas.x=1"},
			refused: []string{"webserver:replicas.x: webserver:replicas is \"3\" in the stack file, not an object or a list"},
		},
		{
			name:    "a path into a field's text",
			args:    []string{"-set", "istio:ingress.type.x=1"},
			refused: []string{`istio:ingress.type.x: istio:ingress.type is "NodePort", not an object or a list`},
		},
		{
			name:    "overlapping overrides",
			args:    []string{"-set", "istio:ingress.api=gateway-api", "-set", `istio:ingress={"type":"NodePort"}`},
			refused: []string{"the overrides istio:ingress and istio:ingress.api overlap"},
		},
	}
	render, _ := lookup("render")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags(render, append([]string{"-stack", "t"}, tc.args...), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			inv := &invocation{opts: o, cmd: render, layout: engine.NewLayout(engine.Options{Root: root})}
			err = loadStackFile(inv)
			if err == nil {
				err = inv.layout.ValidateStackFile(inv.values, inv.secure, false)
			}
			if len(tc.refused) > 0 {
				if err == nil {
					t.Fatalf("accepted: %v", inv.values)
				}
				for _, w := range tc.refused {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, w := range tc.want {
				if !sameJSON(inv.values[k], w) {
					t.Errorf("%s = %s, want %s", k, inv.values[k], w)
				}
			}
			secure := tc.secure
			if secure == nil {
				secure = []string{"telemetry:grafanaAdminPassword"}
			}
			if got := slices.Sorted(slices.Values(inv.secure)); !reflect.DeepEqual(got, secure) {
				t.Errorf("secret keys %v, want %v", got, secure)
			}
		})
	}
}

func sameJSON(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return a == b
	}
	return reflect.DeepEqual(va, vb)
}

// TestSetRefusesMalformedKeys: a key that is no key nor path is refused
// by the flag, naming it and what is accepted.
func TestSetRefusesMalformedKeys(t *testing.T) {
	render, _ := lookup("render")
	t.Setenv("V", "x")
	for _, args := range [][]string{
		{"-set", "istio:ingress[=x"},
		{"-set", `istio:ingress["a=x`},
		{"-set-secret-env", "istio:ingress[=V"},
		{"-set", "ingress.api:x=1"},
	} {
		_, err := parseFlags(render, args, io.Discard)
		if err == nil {
			t.Errorf("%v: accepted", args)
			continue
		}
		for _, w := range []string{"is not a config key", "namespace:key.field", "namespace:key[0]"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q lacks %q", args, err, w)
			}
		}
	}
}

// TestSecretOverridesTakePaths: the secret flags take a path as -set
// does, and the refused -set-secret names a path key in its hint (never
// the value).
func TestSecretOverridesTakePaths(t *testing.T) {
	render, _ := lookup("render")
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TOKEN", "from-the-env")
	o, err := parseFlags(render, []string{"-set-secret-env", `istio:ingress["a.b"].token=TOKEN`, "-set-secret-file", "chain:hops[0]=" + file}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{`istio:ingress["a.b"].token`: "from-the-env", "chain:hops[0]": "from-a-file"}
	for k, v := range want {
		if got := o.sets[k]; got.Value != v || !got.Secret {
			t.Errorf("%s = %+v, want the secret %q", k, got, v)
		}
	}
	_, err = parseFlags(render, []string{"-set-secret", `istio:ingress["a.b"].token=s3cr3t`}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `-set-secret-env istio:ingress["a.b"].token=VARIABLE`) || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("-set-secret with a path key: %v", err)
	}
}
