package config_test

import (
	"errors"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/infra/config"
)

// FuzzConfig sets up to two keys to arbitrary values: the reader and the
// specs' validators must not panic, and every refusal must name a key,
// either one the user set (an unknown key) or a known key or one of its
// fields ("istio:ingress.tolerations[0].effect"), and say what is accepted.
// A refusal never shows a secret or a URL's credentials, and a key in one
// of our namespaces written in another letter case is always refused. What
// is accepted keeps the promises the rules make (acceptedHolds).
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
	addSeeds(f, map[string]string{"telemetry:grafana": "true", "telemetry:grafanaDashboards": "true"})
	addSeeds(f, map[string]string{"telemetry:kiali": "true", "telemetry:kialiResources": `{"limits": {"memory": "512Mi"}}`})
	addSeeds(f, map[string]string{"istio:ingress": `{"host": "2001:db8::1", "httpNodePort": 31381}`, "webserver:service": `{"type": "NodePort", "nodePort": 31380}`})
	addSeeds(f, map[string]string{"istio:sidecarInjection": "false", "webserver:containerPort": "15006"})
	addSeeds(f, map[string]string{"istio:chartRepo": "http://charts.example.com/istio", "istio:chartRepoAllowHTTP": "true"})

	dir := root(f)
	known := config.KeyTypes()
	secret := config.SecretKeys()
	ours := config.Namespaces()
	f.Fuzz(func(t *testing.T, key1, value1, key2, value2 string) {
		values := map[string]string{key1: value1, key2: value2}
		cfg, err := config.Parse(config.FromMap(values, dir))
		if err == nil {
			for _, key := range []string{key1, key2} {
				if ns, _, _ := strings.Cut(key, ":"); slices.ContainsFunc(ours, func(our string) bool { return ns != our && strings.EqualFold(ns, our) }) {
					t.Errorf("%s, in one of our namespaces in another letter case, was accepted (and would be ignored)", key)
				}
			}
			acceptedHolds(t, cfg)
			return
		}
		var errs config.Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("Parse(%q) = %v, want config.Errors", values, err)
		}
		for _, e := range errs {
			if secret[e.Key] && !slices.Contains([]string{"(secret)", "(a plaintext value)", "(unset)"}, e.Value) {
				t.Errorf("refusal of %s shows the secret: %v", e.Key, e)
			}
			if u, err := url.Parse(values[e.Key]); err == nil && urlKeys[e.Key] && u.User != nil && strings.Contains(e.Value, u.User.String()+"@") {
				t.Errorf("refusal of %s shows the URL's credentials: %v", e.Key, e)
			}
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

// urlKeys are the keys whose values are URLs.
var urlKeys = map[string]bool{"istio:chartRepo": true}

// acceptedHolds checks what an accepted configuration promises the
// cluster: the ingress URL is a URL of its host and port (brackets where
// an IPv6 host needs them), no two Services ask for one node port, no
// workload takes a port or the user of its sidecar, and every replica
// count fits the int32 it becomes.
func acceptedHolds(t *testing.T, cfg *config.Stack) {
	t.Helper()
	in, web, chain := cfg.Istio.Ingress, cfg.WebServer, cfg.Chain
	if in.Host != "" {
		raw := components.IngressURL(in.Host, in.HTTPNodePort)
		u, err := url.Parse(raw)
		if err != nil || u.Hostname() != in.Host || u.Port() != strconv.Itoa(in.HTTPNodePort) {
			t.Errorf("accepted ingress host %q makes the URL %q, which is not http://<host>:<port> (%v)", in.Host, raw, err)
		}
	}
	if web.Service.Enabled && web.Service.Type.HasNodePorts() && in.Type.HasNodePorts() && web.Service.NodePort != 0 && web.Service.NodePort == in.HTTPNodePort {
		t.Errorf("accepted two Services on node port %d", in.HTTPNodePort)
	}
	if cfg.Istio.SidecarInjection {
		ports := []int{web.ContainerPort, chain.Port}
		if web.Service.Enabled {
			ports = append(ports, web.Service.Port)
		}
		for _, p := range ports {
			if slices.Contains(components.SidecarPorts, p) {
				t.Errorf("accepted the sidecar's port %d for a workload while injection is on", p)
			}
		}
		if web.RunAsUser == components.SidecarUID {
			t.Errorf("accepted the sidecar's user %d for the web server while injection is on", web.RunAsUser)
		}
	}
	for _, n := range []int{web.Replicas, chain.Replicas, cfg.Istio.IstiodReplicas, in.Replicas, web.RunAsUser} {
		if n < 0 || n > math.MaxInt32 {
			t.Errorf("accepted %d where Kubernetes holds an int32", n)
		}
	}
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
