package layout

import "path/filepath"

// StateDir is .state/: the engine's file backend, PULUMI_HOME and
// passphrases, the Istio charts link and the sandbox (gitignored).
func (l Layout) StateDir() string { return filepath.Join(l.Root, ".state") }

// IstioCharts is the link to the pinned Istio module's charts that `make
// sandbox` keeps current (Pulumi.sandbox.yaml's istio:chartDir).
func (l Layout) IstioCharts() string { return filepath.Join(l.StateDir(), "istio-charts") }

// SandboxState is the sandbox's directory under .state/.
func (l Layout) SandboxState() SandboxState { return SandboxStateIn(l.StateDir()) }

// SandboxStateIn is the sandbox's directory under a state directory (a
// scratch stack's, in the engine's tests).
func SandboxStateIn(stateDir string) SandboxState {
	return SandboxState{Dir: filepath.Join(stateDir, "sandbox")}
}

// SandboxState is the sandbox's state directory and what lives in it:
// the record `up` writes, the admin kubeconfig, certificates, logs, the
// components' configuration and the cluster's data.
type SandboxState struct {
	Dir string
}

// Record is the one record of a sandbox (internal/sandbox/record): what
// `up` made, which `down` and `status` act on.
func (s SandboxState) Record() string { return filepath.Join(s.Dir, "sandbox.json") }

// Kubeconfig is the admin kubeconfig users, make and the tests get.
func (s SandboxState) Kubeconfig() string { return filepath.Join(s.Dir, "kubeconfig") }

// HostBefore is the host's network state as a fresh `up` found it
// (`sandbox host-snapshot`), kept by `down` for test/e2e to compare.
func (s SandboxState) HostBefore() string { return filepath.Join(s.Dir, "host-before") }

// PKI holds the sandbox CA and every certificate and key.
func (s SandboxState) PKI() string { return filepath.Join(s.Dir, "pki") }

// Logs holds one log per component (<name>.log).
func (s SandboxState) Logs() string { return filepath.Join(s.Dir, "logs") }

// Log is one component's log.
func (s SandboxState) Log(component string) string {
	return filepath.Join(s.Logs(), component+".log")
}

// Config holds the components' kubeconfigs and configuration files.
func (s SandboxState) Config() string { return filepath.Join(s.Dir, "config") }

// Data is one of the cluster's data directories, all deleted by `down`:
// etcd, containerd, kubelet, pod-logs.
func (s SandboxState) Data(name string) string { return filepath.Join(s.Dir, name) }

// DataDirs are the names Data accepts.
var DataDirs = []string{"etcd", "containerd", "kubelet", "pod-logs"}
