package xdsdirect

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// agentBootstrap is shaped as pilot-agent writes it for the grpc-agent
// template (istio.io/istio pkg/istio-agent/grpcxds).
const agentBootstrap = `{
  "xds_servers": [{"server_uri": "unix:///etc/istio/proxy/XDS", "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}],
  "node": {"id": "sidecar~10.244.0.13~service-a-1.playground~playground.svc.cluster.local",
    "metadata": {"GENERATOR": "grpc", "NAMESPACE": "playground", "PROXY_CONFIG": {"discoveryAddress": "istiod-canary.istio-system.svc:15012"}}},
  "certificate_providers": {"default": {"plugin_name": "file_watcher", "config": {
    "certificate_file": "/var/lib/istio/data/cert-chain.pem", "private_key_file": "/var/lib/istio/data/key.pem",
    "ca_certificate_file": "/var/lib/istio/data/root-cert.pem", "refresh_interval": "900s"}}},
  "server_listener_resource_name_template": "xds.istio.io/grpc/lds/inbound/%s"
}`

func TestRewrite(t *testing.T) {
	out, err := Rewrite([]byte(agentBootstrap))
	if err != nil {
		t.Fatal(err)
	}
	var got, in map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal([]byte(agentBootstrap), &in)
	want := []any{map[string]any{
		"server_uri": "istiod-canary.istio-system.svc:15012",
		"channel_creds": []any{map[string]any{"type": "tls", "config": map[string]any{
			"certificate_file": "/var/lib/istio/data/cert-chain.pem", "private_key_file": "/var/lib/istio/data/key.pem",
			"ca_certificate_file": "/var/lib/istio/data/root-cert.pem", "refresh_interval": "900s"}}},
		"server_features": []any{"xds_v3"},
	}}
	if !reflect.DeepEqual(got["xds_servers"], want) {
		t.Errorf("xds_servers = %v, want %v", got["xds_servers"], want)
	}
	for _, kept := range []string{"node", "certificate_providers", "server_listener_resource_name_template"} {
		if !reflect.DeepEqual(got[kept], in[kept]) {
			t.Errorf("%s changed: %v, want the agent's %v", kept, got[kept], in[kept])
		}
	}
}

func TestRewriteRefuses(t *testing.T) {
	tests := map[string]struct{ edit, want string }{
		"no control plane": {`"PROXY_CONFIG": {"discoveryAddress": "istiod-canary.istio-system.svc:15012"}`, "discoveryAddress"},
		"no client key":    {`"private_key_file": "/var/lib/istio/data/key.pem",`, "private_key_file"},
		"no CA":            {`"ca_certificate_file": "/var/lib/istio/data/root-cert.pem",`, "ca_certificate_file"},
		"not a bootstrap":  {agentBootstrap, "agent's xDS bootstrap"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			in := strings.Replace(agentBootstrap, tt.edit, "", 1)
			if name == "no control plane" {
				in = strings.Replace(agentBootstrap, tt.edit, `"PROXY_CONFIG": {}`, 1)
			}
			if _, err := Rewrite([]byte(in)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestEnviron(t *testing.T) {
	got := Environ([]string{"PATH=/bin", "GRPC_XDS_BOOTSTRAP=/etc/istio/proxy/grpc-bootstrap.json", "GRPC_XDS_DIRECT=true", "GRPC_XDS_BOOTSTRAP_CONFIG=old"}, []byte(`{"x":1}`))
	want := []string{"PATH=/bin", `GRPC_XDS_BOOTSTRAP_CONFIG={"x":1}`, "GRPC_XDS_DIRECT=done"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Environ = %v, want %v", got, want)
	}
}
