package configset_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/configset"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"sigs.k8s.io/yaml"
)

func TestParseKey(t *testing.T) {
	cases := []struct {
		key, top, name string
		pathLen        int
		// want are the refusal's words; none: accepted.
		want []string
	}{
		{key: "istio:ingress", top: "istio:ingress", name: "istio:ingress"},
		{key: "istio:ingress.api", top: "istio:ingress", name: "istio:ingress.api", pathLen: 1},
		{key: "chain:hops[0]", top: "chain:hops", name: "chain:hops[0]", pathLen: 1},
		{key: `istio:ingress["a.b"].c`, top: "istio:ingress", name: `istio:ingress["a.b"].c`, pathLen: 2},
		// Only the part before the first '.' or '[' holds the namespace.
		{key: `istio:ingress["a:b"]`, top: "istio:ingress", name: `istio:ingress["a:b"]`, pathLen: 1},
		{key: "istio:config:ingress", top: "istio:ingress", name: "istio:ingress"},
		{key: "ingress", want: []string{`"ingress" is not a config key`, "has no namespace", "namespace:key.field"}},
		{key: "ingress.api:x", want: []string{"before its first '.' or '['"}},
		{key: ":ingress", want: []string{"namespace is empty"}},
		{key: "istio:", want: []string{"no name after the namespace"}},
		{key: "istio:[0]", want: []string{"no name after the namespace"}},
		{key: "a:b:c", want: []string{"more than one colon"}},
		{key: "istio:ingress[", want: []string{`"istio:ingress[" is not a config key`, "missing closing bracket"}},
		{key: `istio:ingress["a`, want: []string{"missing closing quote"}},
	}
	for _, tc := range cases {
		k, err := configset.ParseKey(tc.key)
		if len(tc.want) > 0 {
			if err == nil {
				t.Errorf("%s: accepted as %+v", tc.key, k)
				continue
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s: error %q lacks %q", tc.key, err, w)
				}
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.key, err)
			continue
		}
		if k.Top != tc.top || k.String() != tc.name || len(k.Path) != tc.pathLen || k.Given != tc.key {
			t.Errorf("%s: top %q, name %q, path %v; want %q, %q, %d segments", tc.key, k.Top, k.String(), k.Path, tc.top, tc.name, tc.pathLen)
		}
	}
}

func TestParseKeysRefusesOverlaps(t *testing.T) {
	cases := []struct {
		keys []string
		want []string // none: accepted
	}{
		{keys: []string{"istio:ingress.api", "istio:ingress.type", "istio:ingressx", "chain:hops[0]", "chain:hops[1]"}},
		{keys: []string{"istio:ingress", "istio:ingress.api"}, want: []string{"istio:ingress and istio:ingress.api overlap", "inside istio:ingress"}},
		{keys: []string{"istio:ingress.a.b", "istio:ingress.a"}, want: []string{"istio:ingress.a and istio:ingress.a.b overlap"}},
		{keys: []string{"istio:ingress.api", `istio:ingress["api"]`}, want: []string{"overlap", "the value both set"}},
	}
	for _, tc := range cases {
		_, err := configset.ParseKeys(tc.keys)
		if len(tc.want) == 0 {
			if err != nil {
				t.Errorf("%v: %v", tc.keys, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%v: accepted", tc.keys)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q lacks %q", tc.keys, err, w)
			}
		}
	}
}

// stack is a stack file's config section, as Pulumi reads it.
const stack = `config:
  webserver:replicas: 3
  istio:ingress:
    type: NodePort
    httpNodePort: 31380
    hosts: [a.example, b.example]
    nested:
      deep: 1
      password:
        secure: AAABAKc2
  istio:text: '{"type":"NodePort"}'
  chain:hops: [a, b, c]
  telemetry:grafanaAdminPassword:
    secure: AAABAOld
`

func load(t *testing.T) config.Map {
	t.Helper()
	var file struct {
		Config config.Map `json:"config"`
	}
	if err := yaml.Unmarshal([]byte(stack), &file); err != nil {
		t.Fatal(err)
	}
	return file.Config
}

func TestApply(t *testing.T) {
	ingress := map[string]any{"type": "NodePort", "httpNodePort": 31380, "hosts": []any{"a.example", "b.example"},
		"nested": map[string]any{"deep": 1, "password": map[string]any{"secure": "AAABAKc2"}}}
	with := func(edit func(m map[string]any)) string {
		m := map[string]any{}
		raw, _ := json.Marshal(ingress)
		json.Unmarshal(raw, &m)
		edit(m)
		out, _ := json.Marshal(m)
		return string(out)
	}
	plain := func(v string) auto.ConfigValue { return auto.ConfigValue{Value: v} }
	cases := []struct {
		name      string
		overrides map[string]auto.ConfigValue
		want      map[string]configset.Value // Raw compared as JSON where it is JSON
		refused   []string
	}{
		{
			name:      "a field of an existing object; the rest is kept",
			overrides: map[string]auto.ConfigValue{"istio:ingress.api": plain("gateway-api")},
			want:      map[string]configset.Value{"istio:ingress": {Raw: with(func(m map[string]any) { m["api"] = "gateway-api" })}},
		},
		{
			name:      "typed as pulumi config set --path types them",
			overrides: map[string]auto.ConfigValue{"istio:ingress.httpNodePort": plain("30080"), "istio:ingress.nested.on": plain("true"), "istio:ingress.nested.ratio": plain("0.5")},
			want: map[string]configset.Value{"istio:ingress": {Raw: with(func(m map[string]any) {
				m["httpNodePort"] = 30080
				m["nested"].(map[string]any)["on"] = true
				m["nested"].(map[string]any)["ratio"] = "0.5"
			})}},
		},
		{
			name:      "a list's entry and one past its end",
			overrides: map[string]auto.ConfigValue{"istio:ingress.hosts[1]": plain("c.example"), "chain:hops[3]": plain("d")},
			want: map[string]configset.Value{
				"istio:ingress": {Raw: with(func(m map[string]any) { m["hosts"] = []any{"a.example", "c.example"} })},
				"chain:hops":    {Raw: `["a","b","c","d"]`},
			},
		},
		{
			name:      "a quoted field name holding dots",
			overrides: map[string]auto.ConfigValue{`istio:ingress.nested["a.b"]`: plain("x")},
			want:      map[string]configset.Value{"istio:ingress": {Raw: with(func(m map[string]any) { m["nested"].(map[string]any)["a.b"] = "x" })}},
		},
		{
			name:      "a key not set yet: objects and lists made",
			overrides: map[string]auto.ConfigValue{"istio:mesh.a[1].b": plain("x")},
			want:      map[string]configset.Value{"istio:mesh": {Raw: `{"a":[null,{"b":"x"}]}`}},
		},
		{
			name:      "a secret at a path: text, never coerced; the key reads as secret",
			overrides: map[string]auto.ConfigValue{"istio:ingress.token": {Value: "123", Secret: true}},
			want:      map[string]configset.Value{"istio:ingress": {Raw: with(func(m map[string]any) { m["token"] = "123" }), Secret: true}},
		},
		{
			name:      "flat keys as before, a secret's replaced",
			overrides: map[string]auto.ConfigValue{"webserver:replicas": plain("5"), "istio:text": plain(`{"api":"gateway-api"}`), "telemetry:grafanaAdminPassword": {Value: "pw", Secret: true}},
			want: map[string]configset.Value{
				"webserver:replicas":             {Raw: "5"},
				"istio:text":                     {Raw: `{"api":"gateway-api"}`},
				"telemetry:grafanaAdminPassword": {Raw: "pw", Secret: true},
			},
		},
		{
			name:      "into a top-level text",
			overrides: map[string]auto.ConfigValue{"webserver:replicas.x": plain("1")},
			refused:   []string{"webserver:replicas.x: webserver:replicas is \"3\" in the stack file, not an object or a list", "set it whole instead"},
		},
		{
			name:      "into a text holding JSON",
			overrides: map[string]auto.ConfigValue{"istio:text.api": plain("gateway-api")},
			refused:   []string{`istio:text is "{\"type\":\"NodePort\"}", a quoted text holding JSON, in the stack file`, "would replace it whole", "write it in the stack file as YAML"},
		},
		{
			name:      "into a top-level secret",
			overrides: map[string]auto.ConfigValue{"telemetry:grafanaAdminPassword.x": plain("1")},
			refused:   []string{"telemetry:grafanaAdminPassword is a secret in the stack file"},
		},
		{
			name:      "into a field's text",
			overrides: map[string]auto.ConfigValue{"istio:ingress.type.x": plain("1")},
			refused:   []string{`istio:ingress.type.x: istio:ingress.type is "NodePort", not an object or a list`},
		},
		{
			name:      "into a secret inside an object",
			overrides: map[string]auto.ConfigValue{"istio:ingress.nested.password.x": plain("1")},
			refused:   []string{"istio:ingress.nested.password is a secret"},
		},
		{
			name:      "a field name on a list",
			overrides: map[string]auto.ConfigValue{"chain:hops.first": plain("x")},
			refused:   []string{"chain:hops is a list; want an index after it, e.g. chain:hops[0]"},
		},
		{
			name:      "an index on an object",
			overrides: map[string]auto.ConfigValue{"istio:ingress[0]": plain("x")},
			refused:   []string{"istio:ingress is an object; want a field name"},
		},
		{
			name:      "an index past the end",
			overrides: map[string]auto.ConfigValue{"chain:hops[5]": plain("x")},
			refused:   []string{"chain:hops has 3 entries; want an index from 0 to 3"},
		},
		{
			name:      "overlapping",
			overrides: map[string]auto.ConfigValue{"istio:ingress": plain("{}"), "istio:ingress.api": plain("x")},
			refused:   []string{"overlap"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := configset.Apply(load(t), tc.overrides)
			if len(tc.refused) > 0 {
				if err == nil {
					t.Fatalf("accepted: %v", got)
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
			if len(got) != len(tc.want) {
				t.Errorf("changed %v, want %v", got, tc.want)
			}
			for k, w := range tc.want {
				g, ok := got[k]
				if !ok || g.Secret != w.Secret || !sameValue(g.Raw, w.Raw) {
					t.Errorf("%s = %+v, want %+v", k, g, w)
				}
			}
		})
	}
}

// sameValue compares two raw values as JSON where both are, else as text.
func sameValue(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return a == b
	}
	return reflect.DeepEqual(va, vb)
}
