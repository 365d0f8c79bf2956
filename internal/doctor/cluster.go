package doctor

import (
	"context"
	"fmt"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/internal/kubeversion"
)

// checkCluster reports which cluster the next `make up` touches and
// whether its API server answers. The sandbox's missing kubeconfig means
// it was never started (or was taken down), which `make sandbox` fixes.
func checkCluster(ctx context.Context, r *Report, m Machine, in Input, values map[string]string) {
	sandbox := in.Kubeconfig != ""
	if sandbox && !m.Exists(in.Kubeconfig) {
		r.add(Finding{Check: "sandbox", Status: Problem,
			Detail: fmt.Sprintf("not running (no kubeconfig at %s); `make up` starts it, kubectl and pulumi in your shell need it running", in.Kubeconfig),
			Fix:    "make sandbox"})
		return
	}
	target, err := m.Cluster(values)
	if err != nil {
		r.add(Finding{Check: "cluster", Status: Problem, Detail: fmt.Sprintf("no cluster to deploy to: %v", err), Fix: clusterFix(m, in, values["kubernetes:context"])})
		return
	}
	where := "from KUBECONFIG or ~/.kube/config"
	if sandbox {
		where = "kubeconfig " + in.Kubeconfig
	}
	r.add(Finding{Check: "cluster", Status: Info,
		Detail: fmt.Sprintf("the next `make up STACK=%s` touches kube context %q at %s (%s)", in.Stack, target.Context, target.Server, where)})
	check := "cluster"
	if sandbox {
		check = "sandbox"
	}
	if err := m.Ready(ctx, values); err != nil {
		r.add(Finding{Check: check, Status: Problem,
			Detail: fmt.Sprintf("the API server at %s does not answer: %v", target.Server, err), Fix: clusterFix(m, in, target.Context)})
		return
	}
	r.add(Finding{Check: check, Status: OK, Detail: fmt.Sprintf("up: the API server at %s answers", target.Server)})
	checkKubernetesVersion(ctx, r, m, values)
}

// checkKubernetesVersion is the supported-versions guard as preview and up
// run it (infra/stack): the cluster's Kubernetes against the pinned
// Istio's range, unless the stack is on another Istio or goes on anyway.
func checkKubernetesVersion(ctx context.Context, r *Report, m Machine, values map[string]string) {
	server, err := m.ServerVersion(ctx, values)
	if err != nil {
		r.add(Finding{Check: "kubernetes", Status: Problem, Detail: fmt.Sprintf("the cluster does not say its version (%v): preview and up refuse to go on without it", err),
			Fix: "check that the credentials may read /version (every authenticated user may, by default)"})
		return
	}
	pinned, supported := playk8s.Version("ISTIO_VERSION"), kubeversion.Pinned()
	istio := values["istio:version"]
	if istio == "" {
		istio = pinned
	}
	ok, err := supported.Contains(server)
	switch {
	case !kubeversion.SameMinor(istio, pinned):
		r.add(Finding{Check: "kubernetes", Status: Info, Detail: fmt.Sprintf("%s; the stack installs Istio %s, whose supported Kubernetes versions versions.env does not hold (it holds %s's: %s)", server, istio, pinned, supported)})
	case err != nil:
		r.add(Finding{Check: "kubernetes", Status: Problem, Detail: err.Error(),
			Fix: "point the stack at a Kubernetes cluster, or go on anyway: pulumi config set istio:allowUnsupportedKubernetes true"})
	case ok:
		r.add(Finding{Check: "kubernetes", Status: OK, Detail: fmt.Sprintf("%s, which Istio %s supports (%s)", server, istio, supported)})
	case values["istio:allowUnsupportedKubernetes"] == "true":
		r.add(Finding{Check: "kubernetes", Status: Info, Detail: fmt.Sprintf("%s, outside what Istio %s supports (%s); istio:allowUnsupportedKubernetes lets preview and up go on", server, istio, supported)})
	default:
		r.add(Finding{Check: "kubernetes", Status: Problem,
			Detail: fmt.Sprintf("%s; Istio %s supports Kubernetes %s: preview and up refuse this cluster", server, istio, supported),
			Fix:    "upgrade the cluster to a supported version, or go on anyway: pulumi config set istio:allowUnsupportedKubernetes true"})
	}
}

// clusterFix is the command that brings a stack's cluster back.
func clusterFix(m Machine, in Input, kubeContext string) string {
	switch {
	case in.Kubeconfig != "":
		return "make sandbox (idempotent; `make sandbox-down` first if it keeps failing)"
	case in.SandboxKubeconfig != "" && m.Getenv("KUBECONFIG") == in.SandboxKubeconfig:
		// Left from `eval "$(make -s env STACK=sandbox)"`: this stack's
		// context is in the user's kubeconfig, not the sandbox's.
		return fmt.Sprintf("KUBECONFIG is still the sandbox's: unset KUBECONFIG, or eval \"$(make -s env STACK=%s)\"", in.Stack)
	case kubeContext == "minikube":
		return "make minikube"
	default:
		return fmt.Sprintf("start that cluster, or point the stack at a running one: `pulumi config set kubernetes:context <context> -s %s` (`kubectl config get-contexts` lists them)", in.Stack)
	}
}

// checkSandboxAside says, for a stack that is not the sandbox's, whether
// the sandbox runs anyway: not a problem either way, but where kubectl
// points if KUBECONFIG is still the sandbox's.
func checkSandboxAside(ctx context.Context, r *Report, m Machine, in Input) {
	if in.SandboxKubeconfig == "" {
		return
	}
	if !m.Exists(in.SandboxKubeconfig) {
		r.add(Finding{Check: "sandbox", Status: Info, Detail: "not running (`make sandbox` starts it)"})
		return
	}
	if err := m.Ready(ctx, map[string]string{"kubernetes:kubeconfig": in.SandboxKubeconfig}); err != nil {
		r.add(Finding{Check: "sandbox", Status: Info, Detail: fmt.Sprintf("its kubeconfig exists but the API server does not answer (%v); `make sandbox` restarts it", err)})
		return
	}
	r.add(Finding{Check: "sandbox", Status: Info, Detail: "up (not this stack's cluster)"})
}
