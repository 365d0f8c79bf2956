// Package clustertarget resolves the cluster a stack's kubernetes provider
// talks to, the way the provider does: from the stack's
// `kubernetes:kubeconfig` and `kubernetes:context`, else $KUBECONFIG, else
// ~/.kube/config. The engine's preflight, `make doctor` and the program's
// ownership check all ask it, so they never disagree about which cluster a
// stack means. It imports only client-go's rest and clientcmd, so the
// program stays free of the typed clientset.
package clustertarget

import (
	"fmt"
	"os"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Target is the cluster a stack points at.
type Target struct {
	Context string
	Server  string
}

// Resolve finds the API server a stack's kubernetes provider would use:
// kubeconfig from `kubernetes:kubeconfig` (a path or the file's content),
// else $KUBECONFIG, else ~/.kube/config; context from `kubernetes:context`,
// else the kubeconfig's current context.
func Resolve(cfg map[string]string) (Target, error) {
	t, _, err := RESTConfig(cfg)
	return t, err
}

// RESTConfig resolves the stack's cluster as Resolve does and returns
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
