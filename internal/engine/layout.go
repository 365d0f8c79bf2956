package engine

import (
	"os"
	"path/filepath"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
)

// SandboxStack is the stack of the local sandbox cluster (make sandbox).
// It is the one stack whose cluster is selected by a kubeconfig of ours
// rather than the user's kube context.
const SandboxStack = "sandbox"

// Layout is where the offline engine finds its tools and keeps its state:
// the checkout's paths (internal/layout), with the state directory and
// backend a scratch stack may override. It is derived from Options alone
// and creates nothing, so `playk8s env` and `playk8s doctor` can report
// it on a machine where nothing is built.
type Layout struct {
	// Root is the project root (the directory of Pulumi.yaml).
	Root string
	// StateDir holds the file backend, PULUMI_HOME, the passphrases and the sandbox.
	StateDir string
	// CLI and Provider are the pinned Pulumi CLI and kubernetes provider `make tools` builds.
	CLI, Provider string
	// Kubectl is the pinned kubectl of the sandbox's Kubernetes version.
	Kubectl string
	// PulumiHome is the private PULUMI_HOME: only the plugins installed from .tools/.
	PulumiHome string
	// BackendURL is where stack state is kept.
	BackendURL string
}

// NewLayout resolves opts' defaults: StateDir <Root>/.state, BackendURL
// $PULUMI_BACKEND_URL or a file backend in StateDir.
func NewLayout(opts Options) Layout {
	paths := layout.New(opts.Root)
	l := Layout{Root: opts.Root, StateDir: opts.StateDir, BackendURL: opts.BackendURL}
	if l.StateDir == "" {
		l.StateDir = paths.StateDir()
	}
	if l.BackendURL == "" {
		l.BackendURL = os.Getenv("PULUMI_BACKEND_URL")
	}
	if l.BackendURL == "" {
		l.BackendURL = "file://" + l.fileBackend()
	}
	l.CLI, l.Provider = paths.PulumiCLI(), paths.Provider()
	l.Kubectl = paths.Kubectl()
	l.PulumiHome = filepath.Join(l.StateDir, "pulumi-home")
	return l
}

// fileBackend is the directory of the default file backend.
func (l Layout) fileBackend() string { return filepath.Join(l.StateDir, "backend") }

// StackFile is the path of a stack's configuration, Pulumi.<stack>.yaml
// beside Pulumi.yaml: the file both `pulumi config set` and this engine
// read, since Pulumi.yaml sets no stackConfigDir.
func (l Layout) StackFile(stack string) string {
	return filepath.Join(l.Root, "Pulumi."+stack+".yaml")
}

// SandboxKubeconfig is where `sandbox up` writes the sandbox's
// kubeconfig (the Makefile passes the same path as KUBECONFIG), below
// this layout's state directory.
func (l Layout) SandboxKubeconfig() string {
	return layout.SandboxStateIn(l.StateDir).Kubeconfig()
}

// Kubeconfig is the kubeconfig that selects a stack's cluster when it is
// ours (the sandbox's), or "" when the stack uses the user's kube context.
func (l Layout) Kubeconfig(stack string) string {
	if stack == SandboxStack {
		return l.SandboxKubeconfig()
	}
	return ""
}
