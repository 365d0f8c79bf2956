package clustertarget_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/clustertarget"
)

func kubeconfig(t *testing.T, servers map[string]string, current string) string {
	t.Helper()
	var clusters, contexts strings.Builder
	for name, server := range servers {
		fmt.Fprintf(&clusters, "- name: %s\n  cluster:\n    server: %s\n", name, server)
		fmt.Fprintf(&contexts, "- name: %s\n  context:\n    cluster: %s\n    user: u\n", name, name)
	}
	body := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n%scontexts:\n%scurrent-context: %s\nusers:\n- name: u\n  user:\n    token: t\n",
		clusters.String(), contexts.String(), current)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestResolve(t *testing.T) {
	path := kubeconfig(t, map[string]string{"one": "https://127.0.0.1:6443", "two": "https://127.0.0.2:7443"}, "one")
	cases := []struct {
		name       string
		cfg        map[string]string
		wantCtx    string
		wantServer string
	}{
		{"current context", map[string]string{"kubernetes:kubeconfig": path}, "one", "https://127.0.0.1:6443"},
		{"stack's context", map[string]string{"kubernetes:kubeconfig": path, "kubernetes:context": "two"}, "two", "https://127.0.0.2:7443"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := clustertarget.Resolve(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got.Context != tc.wantCtx || got.Server != tc.wantServer {
				t.Errorf("target = %+v, want %s at %s", got, tc.wantCtx, tc.wantServer)
			}
		})
	}
	t.Run("inline kubeconfig content", func(t *testing.T) {
		raw, _ := os.ReadFile(path)
		got, err := clustertarget.Resolve(map[string]string{"kubernetes:kubeconfig": string(raw), "kubernetes:context": "two"})
		if err != nil || got.Server != "https://127.0.0.2:7443" {
			t.Fatalf("target = %+v, %v", got, err)
		}
	})
	t.Run("unknown context", func(t *testing.T) {
		if _, err := clustertarget.Resolve(map[string]string{"kubernetes:kubeconfig": path, "kubernetes:context": "minikube"}); err == nil {
			t.Fatal("a context the kubeconfig lacks was accepted")
		}
	})
}
