package toolbuild

import (
	"path"
	"time"

	playk8s "github.com/play-kubernetes/play-kubernetes"
)

// Steps is `make tools`, in order, with the outputs each build script
// writes (keyed by the versions in versions.env), its measured cold cost
// and the wrapper module whose graph it compiles. The longest builds come
// first, so that with two builds at a time (Run) the short ones fill in at
// the end; the steps of tools/sandbox follow each other (istiod first: the
// others reuse its packages); the images come last, from the binaries
// before them.
func Steps() Plan {
	v := playk8s.Versions()
	k8s := ".tools/kubernetes-" + v["K8S_VERSION"]
	istio := ".tools/istio-" + v["ISTIO_MODULE_VERSION"]
	in := func(dir string, names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, path.Join(dir, n))
		}
		return out
	}
	return Plan{
		// Built from a copy of the provider's own module (hack/build-kubernetes-provider.sh).
		{Name: "kubernetes provider " + v["PULUMI_KUBERNETES_PROVIDER_VERSION"], Script: "hack/build-kubernetes-provider.sh",
			Outputs: []string{".tools/pulumi-resource-kubernetes-" + v["PULUMI_KUBERNETES_PROVIDER_VERSION"] + "/pulumi-resource-kubernetes"},
			Cold:    11 * time.Minute, Graph: "pulumi-kubernetes/provider"},
		{Name: "Kubernetes " + v["K8S_VERSION"] + " and etcd " + v["ETCD_VERSION"], Script: "hack/build-sandbox.sh",
			Args:    []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl", "etcd"},
			Outputs: append(in(k8s, "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl"), ".tools/etcd-"+v["ETCD_VERSION"]+"/etcd"),
			Cold:    10 * time.Minute, Graph: "tools/kubernetes"},
		{Name: "istiod and istio-cni", Script: "hack/build-sandbox.sh", Args: []string{"pilot-discovery", "install-cni", "istio-cni"},
			Outputs: in(istio, "pilot-discovery", "install-cni", "istio-cni"), Cold: 8 * time.Minute, Graph: "tools/sandbox"},
		{Name: "Pulumi CLI " + v["PULUMI_CLI_VERSION"], Script: "hack/build-pulumi.sh",
			Outputs: []string{".tools/pulumi-" + v["PULUMI_CLI_VERSION"] + "/bin/pulumi"}, Cold: 7 * time.Minute, Graph: "tools/pulumi"},
		{Name: "Jaeger " + v["JAEGER_VERSION"], Script: "hack/build-jaeger.sh",
			Outputs: in(".tools/jaeger-"+v["JAEGER_VERSION"], "jaeger"), Cold: 6 * time.Minute, Graph: "tools/jaeger"},
		{Name: "Prometheus " + v["PROMETHEUS_MODULE_VERSION"], Script: "hack/build-sandbox.sh", Args: []string{"prometheus"},
			Outputs: in(".tools/prometheus-"+v["PROMETHEUS_MODULE_VERSION"], "prometheus"), Cold: 5 * time.Minute, Graph: "tools/sandbox"},
		{Name: "CoreDNS " + v["COREDNS_VERSION"], Script: "hack/build-sandbox.sh", Args: []string{"coredns"},
			Outputs: in(".tools/coredns-"+v["COREDNS_VERSION"], "coredns"), Cold: 2 * time.Minute, Graph: "tools/coredns"},
		{Name: "kwok " + v["KWOK_VERSION"], Script: "hack/build-sandbox.sh", Args: []string{"kwok"},
			Outputs: in(".tools/kwok-"+v["KWOK_VERSION"], "kwok", "stages.yaml"), Cold: 30 * time.Second, Graph: "tools/sandbox"},
		{Name: "pause " + v["PAUSE_VERSION"], Script: "hack/build-sandbox.sh", Args: []string{"pause"},
			Outputs: in(".tools/pause-"+v["PAUSE_VERSION"], "pause"), Cold: 5 * time.Second},
		// No outputs of its own: cmd/tools keys each image by its inputs
		// (cmd/tools/images.go) and rebuilds only the images whose key changed.
		{Name: "the sandbox's images", Script: "hack/build-images.sh", Cold: 3 * time.Minute, After: true},
	}
}
