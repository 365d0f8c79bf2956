package toolbuild

import (
	"path/filepath"
	"time"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/internal/layout"
)

// ImagesStep names the last step, the sandbox's images, which cmd/tools
// builds in-process (internal/sandbox/imagebuild) rather than by a script.
const ImagesStep = "the sandbox's images"

// Steps is `make tools`, in order, with the outputs each build script
// writes (keyed by the versions in versions.env), its measured cold cost
// and the wrapper module whose graph it compiles. The longest builds come
// first, so that with two builds at a time (Run) the short ones fill in at
// the end; the steps of tools/sandbox follow each other (istiod first: the
// others reuse its packages); the images come last, from the binaries
// before them.
func Steps() Plan {
	v := playk8s.Versions()
	// Outputs are relative to the root, as layout spells them.
	l := layout.New("")
	rel := func(p string) string { return filepath.ToSlash(filepath.Clean(p)) }
	// each is the relative output of path for each name.
	each := func(path func(string) string, names ...string) []string {
		out := make([]string, 0, len(names))
		for _, n := range names {
			out = append(out, rel(path(n)))
		}
		return out
	}
	return Plan{
		// Built from a copy of the provider's own module (hack/build-kubernetes-provider.sh).
		{Name: "kubernetes provider " + v["PULUMI_KUBERNETES_PROVIDER_VERSION"], Script: "hack/build-kubernetes-provider.sh",
			Outputs: []string{rel(l.Provider())},
			Cold:    10 * time.Minute, Graph: "pulumi-kubernetes/provider"},
		{Name: "Kubernetes " + v["K8S_VERSION"] + " and etcd " + v["ETCD_VERSION"], Script: "hack/build-sandbox.sh",
			Args:    []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl", "etcd"},
			Outputs: append(each(l.Kubernetes, "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl"), rel(l.Etcd())),
			Cold:    9 * time.Minute, Graph: "tools/kubernetes"},
		{Name: "istiod, istio-cni and pilot-agent", Script: "hack/build-sandbox.sh", Args: []string{"pilot-discovery", "install-cni", "istio-cni", "pilot-agent"},
			Outputs: each(l.Istio, "pilot-discovery", "install-cni", "istio-cni", "pilot-agent"), Cold: 7 * time.Minute, Graph: "tools/sandbox"},
		// This checkout's own program on istiod's packages: rebuilt when its
		// sources change.
		{Name: "istio-analyze", Script: "hack/build-sandbox.sh", Args: []string{"istio-analyze"},
			Outputs: []string{rel(l.Istio("istio-analyze"))},
			Sources: []string{"tools/sandbox/istioanalyze/*.go", "tools/sandbox/go.mod", "tools/sandbox/go.sum"},
			Cold:    time.Minute, Graph: "tools/sandbox"},
		{Name: "Pulumi CLI " + v["PULUMI_CLI_VERSION"], Script: "hack/build-pulumi.sh",
			Outputs: []string{rel(l.PulumiCLI())}, Cold: 6 * time.Minute, Graph: "tools/pulumi"},
		{Name: "Jaeger " + v["JAEGER_VERSION"], Script: "hack/build-jaeger.sh",
			Outputs: []string{rel(l.Jaeger())}, Cold: 5 * time.Minute, Graph: "tools/jaeger"},
		{Name: "Prometheus " + v["PROMETHEUS_MODULE_VERSION"], Script: "hack/build-sandbox.sh", Args: []string{"prometheus"},
			Outputs: []string{rel(l.Prometheus())}, Cold: 4 * time.Minute, Graph: "tools/prometheus"},
		{Name: "containerd " + v["CONTAINERD_VERSION"] + " and runc " + v["RUNC_VERSION"], Script: "hack/build-runtime.sh",
			Outputs: each(filepath.Clean, l.Runtime()...),
			Cold:    2 * time.Minute, Graph: "tools/containerd"},
		{Name: "CoreDNS " + v["COREDNS_VERSION"], Script: "hack/build-sandbox.sh", Args: []string{"coredns"},
			Outputs: []string{rel(l.CoreDNS())}, Cold: 2 * time.Minute, Graph: "tools/coredns"},
		{Name: "kwok " + v["KWOK_VERSION"], Script: "hack/build-sandbox.sh", Args: []string{"kwok"},
			Outputs: []string{rel(l.Kwok()), rel(l.KwokStages())}, Cold: 30 * time.Second, Graph: "tools/sandbox"},
		{Name: "pause " + v["PAUSE_VERSION"], Script: "hack/build-sandbox.sh", Args: []string{"pause"},
			Outputs: []string{rel(l.Pause())}, Cold: 5 * time.Second},
		// No outputs of its own: cmd/tools keys each image by its inputs
		// (internal/sandbox/imagebuild) and rebuilds only the images whose
		// key changed.
		{Name: ImagesStep, Cold: 3 * time.Minute, After: true},
	}
}
