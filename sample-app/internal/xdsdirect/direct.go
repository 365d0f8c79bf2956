// Package xdsdirect points gRPC-Go's xDS client straight at Istio's
// control plane, authenticated by the workload certificate Istio's agent
// keeps on disk, instead of through the agent's xDS proxy.
//
// Why: the agent (pilot-agent, Istio's grpc-agent injection) proxies one
// xDS stream per pod and closes the previous one when another connects
// ("registered overlapping stream; closing previous", istio/istio#53532).
// gRPC-Go since 1.66 opens one xDS client per channel target plus one for
// an xDS server (gRFC A71), so a hop that serves and calls over xDS has
// two streams, and they keep closing each other: calls fail with
// "xds: error received from xDS stream: EOF". istiod accepts xDS clients
// that authenticate with an Istio-issued client certificate, which the
// agent writes for the application (OUTPUT_CERTS) and rotates; the agent
// still provides it, and the bootstrap's node identity and certificate
// provider stay the agent's.
package xdsdirect

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// The environment this package reads and writes.
const (
	// EnvEnable is set to "true" by the deployment to ask for the rewrite.
	EnvEnable = "GRPC_XDS_DIRECT"
	// envDone replaces EnvEnable in the re-executed process.
	envDone = "done"
	// EnvBootstrapFile and EnvBootstrapConfig are gRPC-Go's: the agent's
	// bootstrap file, and the rewritten bootstrap's contents. gRPC-Go
	// reads both when its packages initialise, hence the re-exec.
	EnvBootstrapFile   = "GRPC_XDS_BOOTSTRAP"
	EnvBootstrapConfig = "GRPC_XDS_BOOTSTRAP_CONFIG"
)

// Rewrite is the agent's bootstrap with its xDS server replaced by the
// control plane the agent itself uses (node metadata
// PROXY_CONFIG.discoveryAddress), over TLS with the certificate files of
// the bootstrap's "default" certificate provider (gRFC A65 channel
// credentials). Everything else is kept as the agent wrote it.
func Rewrite(agentBootstrap []byte) ([]byte, error) {
	var b map[string]any
	if err := json.Unmarshal(agentBootstrap, &b); err != nil {
		return nil, fmt.Errorf("agent's xDS bootstrap: %w", err)
	}
	address, _ := dig(b, "node", "metadata", "PROXY_CONFIG", "discoveryAddress").(string)
	if address == "" {
		return nil, errors.New("agent's xDS bootstrap: no node.metadata.PROXY_CONFIG.discoveryAddress (the control plane to connect to)")
	}
	files, _ := dig(b, "certificate_providers", "default", "config").(map[string]any)
	creds := map[string]any{}
	for _, key := range []string{"certificate_file", "private_key_file", "ca_certificate_file"} {
		v, _ := files[key].(string)
		if v == "" {
			return nil, fmt.Errorf("agent's xDS bootstrap: certificate_providers.default.config has no %s (the workload certificate to authenticate with)", key)
		}
		creds[key] = v
	}
	if r, ok := files["refresh_interval"]; ok {
		creds["refresh_interval"] = r
	}
	b["xds_servers"] = []any{map[string]any{
		"server_uri":      address,
		"channel_creds":   []any{map[string]any{"type": "tls", "config": creds}},
		"server_features": []any{"xds_v3"},
	}}
	return json.Marshal(b)
}

// dig walks nested JSON objects.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// Environ is env for the re-executed process: the rewritten bootstrap as
// contents, the agent's file no longer named (gRPC-Go prefers the file),
// and the rewrite marked done.
func Environ(env []string, rewritten []byte) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case EnvBootstrapFile, EnvBootstrapConfig, EnvEnable:
			continue
		}
		out = append(out, kv)
	}
	return append(out, EnvBootstrapConfig+"="+string(rewritten), EnvEnable+"="+envDone)
}

// ReexecIfAsked re-executes the running binary with the rewritten
// bootstrap when EnvEnable is "true" and the agent's bootstrap file is
// named; it returns only when nothing is to be done or on an error.
func ReexecIfAsked() error {
	switch os.Getenv(EnvEnable) {
	case "", "false", envDone:
		return nil
	case "true":
	default:
		return fmt.Errorf("%s=%q: must be true or false", EnvEnable, os.Getenv(EnvEnable))
	}
	file := os.Getenv(EnvBootstrapFile)
	if file == "" {
		return fmt.Errorf("%s=true but %s is not set: there is no agent bootstrap to start from", EnvEnable, EnvBootstrapFile)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("%s: %w", EnvEnable, err)
	}
	rewritten, err := Rewrite(raw)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	return syscall.Exec(self, os.Args, Environ(os.Environ(), rewritten))
}
