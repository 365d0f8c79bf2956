package layout

import (
	"path/filepath"

	playk8s "github.com/play-kubernetes/play-kubernetes"
)

// ToolsDir is .tools/, everything `make tools` builds (gitignored).
func (l Layout) ToolsDir() string { return filepath.Join(l.Root, ".tools") }

// tool is .tools/<name>-<version of versionKey>/<file>.
func (l Layout) tool(name, versionKey string, file ...string) string {
	return filepath.Join(append([]string{l.ToolsDir(), name + "-" + playk8s.Version(versionKey)}, file...)...)
}

// Kubernetes is one binary of the pinned Kubernetes (kube-apiserver,
// kubelet, kubectl, ...).
func (l Layout) Kubernetes(bin string) string { return l.tool("kubernetes", "K8S_VERSION", bin) }

// Kubectl is the pinned kubectl, the one every command and test runs.
func (l Layout) Kubectl() string { return l.Kubernetes("kubectl") }

// Etcd is the pinned etcd server.
func (l Layout) Etcd() string { return l.tool("etcd", "ETCD_VERSION", "etcd") }

// Kwok is the pinned kwok controller.
func (l Layout) Kwok() string { return l.tool("kwok", "KWOK_VERSION", "kwok") }

// KwokStages is kwok's "fast" stage set, taken from its pinned module.
func (l Layout) KwokStages() string { return l.tool("kwok", "KWOK_VERSION", "stages.yaml") }

// CoreDNS is the sandbox's CoreDNS build (tools/coredns).
func (l Layout) CoreDNS() string { return l.tool("coredns", "COREDNS_VERSION", "coredns") }

// Istio is one binary of the pinned istio.io/istio module (pilot-discovery,
// install-cni, istio-cni, pilot-agent, and istio-analyze: Istio's analyzers
// over rendered stacks, tools/sandbox/istioanalyze).
func (l Layout) Istio(bin string) string { return l.tool("istio", "ISTIO_MODULE_VERSION", bin) }

// Pause is the pod sandbox's pause binary.
func (l Layout) Pause() string { return l.tool("pause", "PAUSE_VERSION", "pause") }

// Containerd is one binary of the node's containerd (containerd, ctr,
// containerd-shim-runc-v2).
func (l Layout) Containerd(bin string) string { return l.tool("containerd", "CONTAINERD_VERSION", bin) }

// Runc is the OCI runtime containerd's shim runs.
func (l Layout) Runc() string { return l.tool("runc", "RUNC_VERSION", "runc") }

// Runtime is the node's container runtime as make tools builds it:
// containerd, its CLI, its runc shim and runc.
func (l Layout) Runtime() []string {
	return []string{l.Containerd("containerd"), l.Containerd("ctr"), l.Containerd("containerd-shim-runc-v2"), l.Runc()}
}

// Prometheus is the sandbox's Prometheus build.
func (l Layout) Prometheus() string {
	return l.tool("prometheus", "PROMETHEUS_MODULE_VERSION", "prometheus")
}

// Jaeger is the pinned Jaeger v2.
func (l Layout) Jaeger() string { return l.tool("jaeger", "JAEGER_VERSION", "jaeger") }

// Helm is the pinned Helm CLI (make helm).
func (l Layout) Helm() string { return l.tool("helm", "HELM_VERSION", "helm") }

// PulumiCLI is the pinned Pulumi CLI.
func (l Layout) PulumiCLI() string { return l.tool("pulumi", "PULUMI_CLI_VERSION", "bin", "pulumi") }

// Provider is the pinned kubernetes provider plugin.
func (l Layout) Provider() string {
	return l.tool("pulumi-resource-kubernetes", "PULUMI_KUBERNETES_PROVIDER_VERSION", "pulumi-resource-kubernetes")
}

// RenovateDir is where Renovate's config validator is installed from npm.
func (l Layout) RenovateDir() string { return l.tool("renovate", "RENOVATE_VERSION") }

// Bin is a command of this repository that make links once and relinks
// when its sources change (.tools/bin/playk8s, .tools/bin/sandbox).
func (l Layout) Bin(name string) string { return filepath.Join(l.ToolsDir(), "bin", name) }

// Program is where Pulumi.yaml's buildTarget builds the program.
func (l Layout) Program() string { return filepath.Join(l.ToolsDir(), "program", "play-kubernetes") }

// ImagesDir holds the sandbox's image tarballs and their index.
func (l Layout) ImagesDir() string { return filepath.Join(l.ToolsDir(), "images") }

// Image is one image's tarball (<spec name>.tar).
func (l Layout) Image(name string) string { return filepath.Join(l.ImagesDir(), name+".tar") }

// ImageIndex records, per image, the key of the inputs it was built from,
// its digest and its names: what `make tools` skips by and the sandbox
// imports by.
func (l Layout) ImageIndex() string { return filepath.Join(l.ImagesDir(), "index.json") }

// ImageSpecsDir holds the images' specs (<name>.json) and their files.
func (l Layout) ImageSpecsDir() string { return filepath.Join(l.Root, "hack", "sandbox", "images") }

// DebsDir holds the Debian packages the images are built from, and their
// unpacked trees (apt-get download; nothing is installed).
func (l Layout) DebsDir() string { return filepath.Join(l.ToolsDir(), "debs") }

// BuiltFromSource is a binary the images step builds from this checkout
// (sample-app, toolbox): .tools/<name>/<name>.
func (l Layout) BuiltFromSource(name string) string { return filepath.Join(l.ToolsDir(), name, name) }
