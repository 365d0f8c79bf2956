// Package e2e deploys the stack to the local sandbox (`sandbox up`: a real
// single-node cluster with a kubelet and containerd, sealed in its own
// network namespace, plus one kwok-simulated node for the ingress gateway)
// with the real Pulumi engine and kubernetes provider, and checks the result
// the way a user would: kubectl, curl on 127.0.0.1, the stack's outputs.
//
//	make e2e    # or: .tools/bin/sandbox up, then
//	SANDBOX_KUBECONFIG=.state/sandbox/kubeconfig go test -count=1 -v ./test/e2e/
//
// SANDBOX_KUBECONFIG (absolute, or relative to the project root) must be
// set: without it the package fails, unless -short is given (then the
// sandbox tests are skipped). The tests create and destroy the stack's
// namespaces and refuse to start when they exist; a fresh sandbox
// (sandbox down && sandbox up) is the surest start. The sandbox's names
// and files are internal/layout's, its processes those its record
// (internal/sandbox/record) names.
package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/record"
	"github.com/play-kubernetes/play-kubernetes/test/utils"
)

// The sandbox's names (internal/layout).
const (
	// sandboxNetns is the network namespace the whole cluster lives in.
	sandboxNetns = layout.DefaultNetns
	// simulatedLabel labels and taints the kwok node that stands in for
	// the nodes Envoy would need.
	simulatedLabel = layout.SimulatedLabel
	// simulatedIngressNode is that node's name.
	simulatedIngressNode = layout.SimulatedNode
)

// sandboxKubeconfig is the absolute path of the sandbox's admin
// kubeconfig; empty in -short runs without SANDBOX_KUBECONFIG.
var sandboxKubeconfig string

func TestMain(m *testing.M) {
	flag.Parse()
	if kc := os.Getenv("SANDBOX_KUBECONFIG"); kc != "" {
		// A relative path is taken from the project root, where users run
		// make and the sandbox (go test runs in the package directory).
		abs := kc
		root, err := utils.ProjectDir()
		if err == nil && !filepath.IsAbs(kc) {
			abs = filepath.Join(root, kc)
		}
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: SANDBOX_KUBECONFIG=%s: %v; start the sandbox with make sandbox\n", kc, err)
			os.Exit(1)
		}
		sandboxKubeconfig = abs
	} else if !testing.Short() && !afterDown() {
		fmt.Fprintln(os.Stderr, "e2e: SANDBOX_KUBECONFIG is not set: start the sandbox (make sandbox) and set it to .state/sandbox/kubeconfig, or run with -short to skip the sandbox tests")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// sandbox returns kubectl for the sandbox, skipping the test in -short
// runs without one.
func sandbox(t *testing.T) utils.Kubectl {
	t.Helper()
	if sandboxKubeconfig == "" {
		t.Skip("needs the sandbox: set SANDBOX_KUBECONFIG (make sandbox)")
	}
	return utils.Kubectl{Kubeconfig: sandboxKubeconfig}
}

// afterDown: the run after `sandbox down` (make e2e sets
// SANDBOX_AFTER_DOWN), which checks what down left.
func afterDown() bool { return os.Getenv("SANDBOX_AFTER_DOWN") != "" }

// checkout is the layout of the checkout under test.
func checkout(t *testing.T) layout.Layout {
	t.Helper()
	l, err := utils.Layout()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// sandboxRecord is the running sandbox's record.
func sandboxRecord(t *testing.T) record.Record {
	t.Helper()
	file := checkout(t).SandboxState().Record()
	rec, found, err := record.Load(file)
	if err != nil || !found {
		t.Fatalf("the sandbox's record %s: found %v, %v (is the sandbox up?)", file, found, err)
	}
	return rec
}

// sandboxCommand is the sandbox command make builds (make e2e links it).
func sandboxCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	l := checkout(t)
	cmd := exec.Command(l.Bin("sandbox"), args...)
	cmd.Dir = l.Root
	return cmd
}
