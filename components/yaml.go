package components

import "sigs.k8s.io/yaml"

// renderYAML renders a configuration file (Jaeger's, Prometheus', Grafana's)
// from plain Go values; map keys come out sorted, so the text is stable and a
// preview shows a diff only when the configuration really changed.
func renderYAML(v interface{}) (string, error) {
	out, err := yaml.Marshal(v)
	return string(out), err
}
