package components_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/ownership"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
)

// TestReservedNamespacesRefused: Kubernetes' own namespaces are refused
// where the stack would label and delete them; kube-system is accepted for
// istio-cni only, which uses it as it is.
func TestReservedNamespacesRefused(t *testing.T) {
	cases := []struct {
		name string
		edit func(*components.IstioMeshSpec)
		// want is the refused field; "": accepted.
		want string
	}{
		{"the tutorial's default as the app namespace", func(s *components.IstioMeshSpec) { s.AppNamespace = "default" }, "appNamespace"},
		{"kube-system as the control plane's", func(s *components.IstioMeshSpec) { s.Namespace = "kube-system" }, "namespace"},
		{"kube-public as the app namespace", func(s *components.IstioMeshSpec) { s.AppNamespace = "kube-public" }, "appNamespace"},
		{"istio-cni in kube-node-lease", func(s *components.IstioMeshSpec) { s.CNI.Namespace = "kube-node-lease" }, "cni.namespace"},
		{"istio-cni in default", func(s *components.IstioMeshSpec) { s.CNI.Namespace = "default" }, "cni.namespace"},
		{"istio-cni in kube-system, as on GKE", func(s *components.IstioMeshSpec) { s.CNI.Namespace = "kube-system" }, ""},
		{"istio-cni off: its namespace is not used", func(s *components.IstioMeshSpec) {
			s.CNI.Enabled, s.CNI.Namespace, s.PodSecurity.App = false, "default", components.PodSecurityPrivileged
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := meshSpec()
			tc.edit(&s)
			var refused []string
			for _, e := range s.Validate() {
				refused = append(refused, e.Field)
				if tc.want != "" && e.Field == tc.want && !strings.Contains(e.Detail, "kube-system") {
					t.Errorf("%s: the refusal does not say what is accepted: %s", e.Field, e.Detail)
				}
			}
			switch {
			case tc.want == "" && len(refused) > 0:
				t.Errorf("refused %v", refused)
			case tc.want != "" && (len(refused) != 1 || refused[0] != tc.want):
				t.Errorf("refused %v, want exactly %s", refused, tc.want)
			}
		})
	}
}

// TestNamespacesOwned: the stack registers a namespace of its own only
// where it owns it, each marked with the stack's annotation; istio-cni's
// release goes to kube-system, or to the control plane's namespace, without
// a Namespace resource of its own.
func TestNamespacesOwned(t *testing.T) {
	owner := ownership.Owner(pulumimock.Project, pulumimock.Stack)
	cases := []struct {
		name           string
		edit           func(*components.IstioMeshSpec)
		wantNamespaces []string
		wantCNIRelease string
	}{
		{"istio-cni in its own", func(*components.IstioMeshSpec) {}, []string{"istio-cni", "istio-system", "playground"}, "istio-cni"},
		{"istio-cni in kube-system", func(s *components.IstioMeshSpec) { s.CNI.Namespace = "kube-system" }, []string{"istio-system", "playground"}, "kube-system"},
		{"istio-cni in the control plane's", func(s *components.IstioMeshSpec) {
			s.CNI.Namespace, s.PodSecurity.System = "istio-system", components.PodSecurityPrivileged
		}, []string{"istio-system", "playground"}, "istio-system"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := meshArgs()
			tc.edit(&args.Spec)
			mocks, _ := runMesh(t, args)
			var names []string
			for _, ns := range mocks.OfType("kubernetes:core/v1:Namespace") {
				names = append(names, ns.Get("metadata.name").(string))
				if got := ns.Get("metadata.annotations." + strings.ReplaceAll(ownership.Annotation, ".", `\.`)); got != owner {
					t.Errorf("namespace %s is marked %v, want %s", ns.Name, got, owner)
				}
			}
			if strings.Join(names, ",") != strings.Join(tc.wantNamespaces, ",") {
				t.Errorf("namespaces %v, want %v", names, tc.wantNamespaces)
			}
			if got := mocks.Find(t, releaseType, "istio-cni").Get("namespace"); got != tc.wantCNIRelease {
				t.Errorf("istio-cni's release goes to %v, want %s", got, tc.wantCNIRelease)
			}
			claims, err := args.Spec.Claims()
			if err != nil {
				t.Fatal(err)
			}
			var claimed []string
			for _, c := range claims {
				if c.Kind == "namespace" {
					claimed = append(claimed, c.Name)
				}
			}
			if slices.Sort(claimed); !slices.Equal(claimed, tc.wantNamespaces) {
				t.Errorf("claimed namespaces %v, want those the stack registers %v", claimed, tc.wantNamespaces)
			}
		})
	}
}
