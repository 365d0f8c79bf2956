// Package e2e deploys the stack to the local sandbox (hack/sandbox.sh: a real
// single-node cluster with a kubelet and containerd, sealed in its own
// network namespace, plus one kwok-simulated node for the ingress gateway)
// with the real Pulumi engine and kubernetes provider, and checks the result
// the way a user would: kubectl, curl on 127.0.0.1, the stack's outputs.
//
//	hack/sandbox.sh up
//	SANDBOX_KUBECONFIG=.state/sandbox/kubeconfig go test -count=1 -v ./test/e2e/
//
// SANDBOX_KUBECONFIG (absolute, or relative to the project root) must be
// set: without it the package fails, unless -short is given (then the
// sandbox tests are skipped). The tests create and destroy the stack's
// namespaces and refuse to start when they exist; a fresh sandbox
// (hack/sandbox.sh down && hack/sandbox.sh up) is the surest start.
package e2e

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/test/utils"
)

// The sandbox's names (hack/sandbox/node.sh).
const (
	// sandboxNetns is the network namespace the whole cluster lives in.
	sandboxNetns = "play-kubernetes-sandbox"
	// simulatedLabel labels and taints the kwok node that stands in for
	// the nodes Envoy would need.
	simulatedLabel = "play-kubernetes.io/simulated"
	// simulatedIngressNode is that node's name.
	simulatedIngressNode = "sandbox-ingress"
)

// sandboxKubeconfig is the absolute path of the sandbox's admin
// kubeconfig; empty in -short runs without SANDBOX_KUBECONFIG.
var sandboxKubeconfig string

func TestMain(m *testing.M) {
	flag.Parse()
	if kc := os.Getenv("SANDBOX_KUBECONFIG"); kc != "" {
		// A relative path is taken from the project root, where users run
		// make and hack/sandbox.sh (go test runs in the package directory).
		abs := kc
		root, err := utils.ProjectDir()
		if err == nil && !filepath.IsAbs(kc) {
			abs = filepath.Join(root, kc)
		}
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: SANDBOX_KUBECONFIG=%s: %v; start the sandbox with hack/sandbox.sh up\n", kc, err)
			os.Exit(1)
		}
		sandboxKubeconfig = abs
	} else if !testing.Short() && os.Getenv("SANDBOX_STATE") == "" {
		fmt.Fprintln(os.Stderr, "e2e: SANDBOX_KUBECONFIG is not set: start the sandbox (hack/sandbox.sh up) and set it to .state/sandbox/kubeconfig, or run with -short to skip the sandbox tests")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// sandbox returns kubectl for the sandbox, skipping the test in -short
// runs without one.
func sandbox(t *testing.T) utils.Kubectl {
	t.Helper()
	if sandboxKubeconfig == "" {
		t.Skip("needs the sandbox: set SANDBOX_KUBECONFIG (hack/sandbox.sh up)")
	}
	return utils.Kubectl{Kubeconfig: sandboxKubeconfig}
}

// sandboxRunDir holds hack/sandbox.sh's PID files: run/ next to the kubeconfig.
func sandboxRunDir() string {
	return filepath.Join(filepath.Dir(sandboxKubeconfig), "run")
}
