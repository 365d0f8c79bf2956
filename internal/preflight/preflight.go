// Package preflight checks, before the engine touches anything, that the
// cluster a stack targets can be reached, so an unreachable cluster is one
// clear error instead of a half-applied update.
package preflight

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Target is the cluster a stack points at.
type Target struct {
	Context string
	Server  string
}

// ResolveTarget finds the API server a stack's kubernetes provider would use:
// kubeconfig from `kubernetes:kubeconfig` (a path or the file's content),
// else $KUBECONFIG, else ~/.kube/config; context from `kubernetes:context`,
// else the kubeconfig's current context.
func ResolveTarget(cfg map[string]string) (Target, error) {
	t, _, err := RESTConfig(cfg)
	return t, err
}

// RESTConfig resolves the stack's cluster as ResolveTarget does and returns
// the client configuration to talk to it.
func RESTConfig(cfg map[string]string) (Target, *rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	var loader clientcmd.ClientConfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: cfg["kubernetes:context"]}
	if kc := cfg["kubernetes:kubeconfig"]; kc != "" {
		if _, err := os.Stat(kc); err == nil {
			rules.ExplicitPath = kc
		} else {
			cc, err := clientcmd.NewClientConfigFromBytes([]byte(kc))
			if err != nil {
				return Target{}, nil, fmt.Errorf("kubernetes:kubeconfig is neither a file nor a kubeconfig: %w", err)
			}
			raw, err := cc.RawConfig()
			if err != nil {
				return Target{}, nil, err
			}
			loader = clientcmd.NewDefaultClientConfig(raw, overrides)
		}
	}
	if loader == nil {
		loader = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	}
	raw, err := loader.RawConfig()
	if err != nil {
		return Target{}, nil, fmt.Errorf("reading kubeconfig: %w", err)
	}
	name := overrides.CurrentContext
	if name == "" {
		name = raw.CurrentContext
	}
	rest, err := loader.ClientConfig()
	if err != nil {
		return Target{}, nil, fmt.Errorf("kube context %q: %w", name, err)
	}
	return Target{Context: name, Server: rest.Host}, rest, nil
}

// Reachable dials the API server's TCP port within timeout.
func Reachable(ctx context.Context, t Target, timeout time.Duration) error {
	u, err := url.Parse(t.Server)
	if err != nil || u.Host == "" {
		return fmt.Errorf("kube context %q: server %q is not a URL", t.Context, t.Server)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "443")
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return fmt.Errorf("the cluster of kube context %q (%s) is unreachable: %w; start it (e.g. `make minikube`) or point kubernetes:context at a running cluster — nothing was changed", t.Context, t.Server, err)
	}
	return conn.Close()
}
