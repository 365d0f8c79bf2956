package preflight_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/preflight"
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

func TestResolveTarget(t *testing.T) {
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
			got, err := preflight.ResolveTarget(tc.cfg)
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
		got, err := preflight.ResolveTarget(map[string]string{"kubernetes:kubeconfig": string(raw), "kubernetes:context": "two"})
		if err != nil || got.Server != "https://127.0.0.2:7443" {
			t.Fatalf("target = %+v, %v", got, err)
		}
	})
	t.Run("unknown context", func(t *testing.T) {
		if _, err := preflight.ResolveTarget(map[string]string{"kubernetes:kubeconfig": path, "kubernetes:context": "minikube"}); err == nil {
			t.Fatal("a context the kubeconfig lacks was accepted")
		}
	})
}

func TestReachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	up := preflight.Target{Context: "up", Server: "https://" + l.Addr().String()}
	if err := preflight.Reachable(context.Background(), up, time.Second); err != nil {
		t.Errorf("a listening API server was reported unreachable: %v", err)
	}

	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := closed.Addr().String()
	closed.Close()
	down := preflight.Target{Context: "minikube", Server: "https://" + addr}
	err = preflight.Reachable(context.Background(), down, time.Second)
	if err == nil {
		t.Fatal("a closed port was reported reachable")
	}
	for _, want := range []string{`"minikube"`, addr, "unreachable", "nothing was changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}
