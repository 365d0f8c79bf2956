package config_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/infra/config"
)

// FuzzConfig sets up to two keys to arbitrary values: the reader and the
// specs' validators must not panic, and every refusal must name a key,
// either one the user set (an unknown key) or a known key or one of its
// fields ("istio:ingress.tolerations[0].effect"), and say what is accepted.
//
// Its pass or fail depends on the input only: Parse reads nothing but the
// given values and a fixed project root (os.Stat of the paths given), so a
// failing input replays the same everywhere (`go test` runs the corpus).
func FuzzConfig(f *testing.F) {
	for _, tc := range badInputs {
		addSeeds(f, tc.config)
	}
	// Accepted configurations, so mutations start from both sides of a rule.
	addSeeds(f, map[string]string{"webserver:liveness": `{"port": 88}`, "istio:ingress": `{"type": "LoadBalancer", "httpNodePort": 0}`})
	addSeeds(f, map[string]string{"istio:cni": `{"binDir": "/var/lib/cni/bin"}`, "istio:sidecarInjection": "false"})
	addSeeds(f, map[string]string{"chain:image": "ghcr.io/o/sample-app:1", "telemetry:grafana": "true"})

	dir := root(f)
	known := config.KeyTypes()
	f.Fuzz(func(t *testing.T, key1, value1, key2, value2 string) {
		values := map[string]string{key1: value1, key2: value2}
		_, err := config.Parse(config.FromMap(values, dir))
		if err == nil {
			return
		}
		var errs config.Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("Parse(%q) = %v, want config.Errors", values, err)
		}
		for _, e := range errs {
			_, given := values[e.Key]
			if !given && !namesKnownKey(e.Key, known) {
				t.Errorf("refusal names neither a key given nor a known key: %q (%v)", e.Key, e)
			}
			if e.Accepted == "" {
				t.Errorf("refusal of %s does not say what is accepted: %v", e.Key, e)
			}
			if !strings.Contains(err.Error(), e.Key+": ") {
				t.Errorf("message does not name %s:\n%v", e.Key, err)
			}
		}
	})
}

// namesKnownKey reports whether a refusal's key is a known key, or a field
// of one: "webserver:service.nodePort", "istio:ingress.tolerations[0]".
func namesKnownKey(refused string, known map[string]reflect.Type) bool {
	head := refused
	if i := strings.IndexAny(refused, ".["); i >= 0 {
		head = refused[:i]
	}
	_, ok := known[head]
	return ok
}

// addSeeds adds a configuration to the corpus, two keys per entry (the
// fuzz input's shape); sorted, so the corpus is the same on every run.
func addSeeds(f *testing.F, values map[string]string) {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i := 0; i < len(keys); i += 2 {
		k2, v2 := "", ""
		if i+1 < len(keys) {
			k2, v2 = keys[i+1], values[keys[i+1]]
		}
		f.Add(keys[i], values[keys[i]], k2, v2)
	}
}
