package stack_test

import (
	playk8s "github.com/play-kubernetes/play-kubernetes"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/infra/config"
	"github.com/play-kubernetes/play-kubernetes/infra/stack"
	"github.com/play-kubernetes/play-kubernetes/internal/ownership"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// variants are stacks whose claims differ: the committed dev and sandbox
// stacks, and dev with each option that adds or moves a claimed object.
func variants(t *testing.T) map[string]map[string]string {
	dev := loadStack(t, "dev")
	with := func(extra map[string]string) map[string]string {
		c := maps.Clone(dev)
		maps.Copy(c, extra)
		return c
	}
	// The sandbox's charts are linked by `make sandbox`; the repository's
	// serve here (nothing is fetched under mocks).
	sandbox := loadStack(t, "sandbox")
	delete(sandbox, "istio:chartDir")
	return map[string]map[string]string{
		"dev":         dev,
		"sandbox":     sandbox,
		"gateway-api": with(map[string]string{"istio:ingress": `{"api": "gateway-api", "type": "NodePort", "httpNodePort": 31380, "host": "127.0.0.1"}`}),
		"revisions and tags": with(map[string]string{
			"istio:revisions":    `[{"name": "1-31-4"}, {"name": "canary"}]`,
			"istio:revisionTags": `{"prod-stable": "1-31-4", "prod-canary": "canary"}`,
			"istio:appRevision":  "prod-stable",
		}),
		"cni in kube-system":         with(map[string]string{"istio:cni": `{"enabled": true, "namespace": "kube-system"}`}),
		"cni in the control plane's": with(map[string]string{"istio:cni": `{"enabled": true, "namespace": "istio-system"}`, "istio:podSecurity": `{"app": "restricted", "system": "privileged"}`}),
	}
}

// kindOf is a Kubernetes resource's kind from its type token
// ("kubernetes:core/v1:Namespace", "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition").
func kindOf(typ string) string { return typ[strings.LastIndex(typ, ":")+1:] }

// TestClaimsCoverWhatTheStackCreates holds IstioMeshSpec.Claims to what
// the stack registers: every object it creates directly under a fixed
// name outside a namespace it claims is claimed, and every namespaced
// object lives in a claimed namespace. An object added to a component
// without its claim would be taken over silently: this fails instead.
func TestClaimsCoverWhatTheStackCreates(t *testing.T) {
	projectRoot(t)
	for name, values := range variants(t) {
		t.Run(name, func(t *testing.T) {
			cfg, err := config.Parse(config.FromMap(values, "."))
			if err != nil {
				t.Fatal(err)
			}
			claims, err := cfg.Istio.Claims()
			if err != nil {
				t.Fatal(err)
			}
			claimed := map[string]bool{}
			namespaces := map[string]bool{}
			for _, c := range claims {
				claimed[c.Kind+"/"+c.Name] = true
				if c.Resource.Resource == "namespaces" {
					namespaces[c.Name] = true
				}
			}
			mocks, _, err := runStack(t, values)
			if err != nil {
				t.Fatal(err)
			}
			created := 0
			for _, r := range mocks.Resources() {
				if !r.Custom || !strings.HasPrefix(r.Type, "kubernetes:") || r.Type == releaseType {
					continue
				}
				created++
				objName, _ := r.Get("metadata.name").(string)
				ns, _ := r.Get("metadata.namespace").(string)
				kind := strings.ToLower(kindOf(r.Type))
				switch {
				case ns != "" && !namespaces[ns]:
					t.Errorf("%s %s/%s lives in %s, a namespace the stack does not claim (claims: %v)", kind, ns, objName, ns, slices.Sorted(maps.Keys(namespaces)))
				case ns == "" && objName != "" && !claimed[kind+"/"+objName]:
					t.Errorf("%s %s is created under a fixed name but not claimed: it would be taken over if it existed", kind, objName)
				}
			}
			if created == 0 {
				t.Fatal("no Kubernetes object registered")
			}
			for _, reserved := range components.ReservedNamespaces() {
				if namespaces[reserved] {
					t.Errorf("the stack claims %s, one of Kubernetes' own namespaces", reserved)
				}
				for _, r := range mocks.OfType("kubernetes:core/v1:Namespace") {
					if r.Get("metadata.name") == reserved {
						t.Errorf("the stack registers the namespace %s", reserved)
					}
				}
			}
		})
	}
}

// TestExistingObjectsRegisterNothing: an object the stack would create
// that exists and is not the stack's stops the program before its first
// resource, naming the key; the stack's own objects let it through.
func TestExistingObjectsRegisterNothing(t *testing.T) {
	projectRoot(t)
	owner := ownership.Owner(pulumimock.Project, pulumimock.Stack)
	namespace := func(name string) ownership.Object {
		return ownership.Object{Resource: schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, Kind: "namespace", Name: name}
	}
	cases := []struct {
		name    string
		cluster ownership.Fake
		// want are what the error names; none: the stack registers.
		want []string
	}{
		{"a new cluster", ownership.Fake{}, nil},
		{"the stack's own namespaces", ownership.Fake{
			namespace("playground"):   {ownership.Annotation: owner},
			namespace("istio-system"): {ownership.Annotation: owner},
		}, nil},
		{"a team's namespace named as the app's", ownership.Fake{namespace("playground"): {"team": "existing"}},
			[]string{"istio:appNamespace", "namespace playground exists"}},
		{"another stack's control plane", ownership.Fake{namespace("istio-system"): {ownership.Annotation: "play-kubernetes/prod"}},
			[]string{"istio:namespace", "made by stack play-kubernetes/prod"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mocks, err := pulumimock.Run(t, loadStack(t, "dev"), stack.ProgramOn(stack.KnownCluster{Objects: tc.cluster, Version: playk8s.Version("K8S_VERSION")}))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if n := len(mocks.Resources()); n != 0 {
				t.Errorf("%d resources registered before the refusal: %v", n, mocks.Summary())
			}
		})
	}
}

// TestUnsupportedKubernetesRegistersNothing: a cluster whose Kubernetes
// the pinned Istio does not support stops the program before its first
// resource, naming both versions, the range and the key that lets it go
// on; the range's ends are accepted.
func TestUnsupportedKubernetesRegistersNothing(t *testing.T) {
	projectRoot(t)
	supported := playk8s.Version("ISTIO_KUBERNETES_MIN") + "-" + playk8s.Version("ISTIO_KUBERNETES_MAX")
	cases := []struct {
		name   string
		server string
		extra  map[string]string
		// want are what the error names; none: the stack registers.
		want []string
	}{
		{"the sandbox's", playk8s.Version("K8S_VERSION"), nil, nil},
		{"the oldest supported", "v" + playk8s.Version("ISTIO_KUBERNETES_MIN") + ".0", nil, nil},
		{"the newest supported, a provider's build", "v" + playk8s.Version("ISTIO_KUBERNETES_MAX") + ".9-gke.1200", nil, nil},
		{"one minor too old", "v1.31.14", nil, []string{"v1.31.14", "Istio " + playk8s.Version("ISTIO_VERSION"), supported, "istio:allowUnsupportedKubernetes", "nothing was changed"}},
		{"one minor too new", "v1.37.2", nil, []string{"v1.37.2", supported}},
		{"too new, and the user goes on", "v1.37.2", map[string]string{"istio:allowUnsupportedKubernetes": "true"}, nil},
		{"another Istio release: not judged by the pinned one's range", "v1.37.2", map[string]string{"istio:version": "1.32.0"}, nil},
		{"not a version", "unknown", nil, []string{`"unknown"`, "not a Kubernetes version"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := loadStack(t, "dev")
			maps.Copy(cfg, tc.extra)
			mocks, err := pulumimock.Run(t, cfg, stack.ProgramOn(stack.KnownCluster{Objects: ownership.Fake{}, Version: tc.server}))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if n := len(mocks.Resources()); n != 0 {
				t.Errorf("%d resources registered before the refusal", n)
			}
		})
	}
}
