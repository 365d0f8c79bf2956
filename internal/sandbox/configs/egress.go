package configs

import (
	"fmt"

	"sigs.k8s.io/yaml"
)

// EgressSelector is the kwok mode's egress selection: every connection
// the API server would open into the "cluster" (pod, service and node
// proxies, kubelet logs/exec, webhooks, aggregated APIs) goes to a Unix
// socket that never exists, so it fails before any packet. The
// apiserver.k8s.io types live in k8s.io/apiserver, which this module does
// not otherwise need: the few fields are spelled here.
func EgressSelector(socket string) ([]byte, error) {
	cfg := map[string]any{
		"apiVersion": "apiserver.k8s.io/v1beta1",
		"kind":       "EgressSelectorConfiguration",
		"egressSelections": []any{map[string]any{
			"name": "cluster",
			"connection": map[string]any{
				"proxyProtocol": "HTTPConnect",
				"transport":     map[string]any{"uds": map[string]any{"udsName": socket}},
			},
		}},
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("egress selector: %w", err)
	}
	return out, nil
}
