package doctor

import (
	"context"

	"github.com/play-kubernetes/play-kubernetes/internal/toolbuild"
)

// Input is what the checks judge: the stack the next `make up` deploys
// and where this checkout keeps its tools and state.
type Input struct {
	// Root is the project root; Plan's outputs are relative to it.
	Root string
	// Plan is `make tools` (toolbuild.Steps).
	Plan toolbuild.Plan
	// Stack is the stack's name; StackFile its Pulumi.<stack>.yaml.
	Stack, StackFile string
	// Stacks are the stacks this checkout has a file for.
	Stacks []string
	// Values and Secure are the stack file's contents (stackfile.LoadWithSecrets);
	// LoadErr is why it could not be read.
	Values  map[string]string
	Secure  []string
	LoadErr error
	// Validate is the engine's check of the stack file for a command that
	// runs the program (engine.Layout.ValidateStackFile).
	Validate func(values map[string]string, secure []string) error
	// Kubeconfig selects the stack's cluster when it is ours (the
	// sandbox's, engine.Layout.Kubeconfig), "" for the user's kube context.
	Kubeconfig string
	// SandboxKubeconfig is where the sandbox's kubeconfig is written when it runs.
	SandboxKubeconfig string
}

// Run runs every check in order: tools, the stack file, the cluster the
// next `make up` touches, the sandbox, minikube.
func Run(ctx context.Context, m Machine, in Input) Report {
	r := Report{Stack: in.Stack}
	checkTools(&r, m, in)
	if !checkStackFile(&r, m, in) {
		return r
	}
	values := clusterValues(in)
	checkCluster(ctx, &r, m, in, values)
	if in.Kubeconfig == "" {
		checkSandboxAside(ctx, &r, m, in)
	}
	if usesMinikube(values) {
		checkMinikube(ctx, &r, m, values)
	}
	return r
}

// clusterValues are the stack's values with the kubeconfig that selects
// its cluster, as `make up` passes it (KUBECONFIG for the sandbox).
func clusterValues(in Input) map[string]string {
	values := map[string]string{}
	for k, v := range in.Values {
		values[k] = v
	}
	if in.Kubeconfig != "" && values["kubernetes:kubeconfig"] == "" {
		values["kubernetes:kubeconfig"] = in.Kubeconfig
	}
	return values
}
