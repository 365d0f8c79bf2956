package layout

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// The sandbox's names: the Kubernetes objects and the host's namespaces
// that carry them, read by the sandbox, make verify and test/e2e.
const (
	// DefaultNetns names the network namespace the whole cluster lives in
	// (SANDBOX_NETNS overrides it), and with it the runtime directory and
	// the cgroups.
	DefaultNetns = "play-kubernetes-sandbox"
	// NodeName is the real node: the kubelet's.
	NodeName = "sandbox-node"
	// SimulatedNode is the node kwok simulates for the pods Envoy would
	// need (the ingress gateway), tainted with SimulatedLabel.
	SimulatedNode = "sandbox-ingress"
	// SimulatedLabel labels and taints SimulatedNode.
	SimulatedLabel = "play-kubernetes.io/simulated"
	// SimulatedAnnotation marks the nodes kwok manages (kwok's own
	// convention), with the value SimulatedAnnotationValue.
	SimulatedAnnotation      = "kwok.x-k8s.io/node"
	SimulatedAnnotationValue = "fake"
	// Bridge is the pod network's bridge inside the namespace.
	Bridge = "cni0"
)

// The sandbox's addresses (real pods). The node's address is the bridge's:
// the pods' gateway, where they reach the API server and the kubelet.
const (
	NodeIP           = "10.244.0.1"
	PodCIDR          = "10.244.0.0/24"
	ServiceCIDR      = "10.96.0.0/16"
	DNSIP            = "10.96.0.10"
	SimulatedPodCIDR = "10.245.0.0/24"
	KwokServiceCIDR  = "127.96.0.0/16"
	KwokPodCIDR      = "239.255.0.0/16"
	APIServerPort    = 16443
	ClusterDomain    = "cluster.local"
	// netnsNameMaxLength keeps ShimSocketDir within containerd's limit
	// for it (42 characters: a unix socket's path is at most 107).
	netnsNameMaxLength = 35
)

// netnsName is what a namespace name may be: it becomes a path under
// /run and /sys/fs/cgroup that `down` deletes as root.
var netnsName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,33}[a-z0-9])?$`)

// CheckNetnsName refuses a name that is not a plain lower-case label.
func CheckNetnsName(name string) error {
	if !netnsName.MatchString(name) {
		return fmt.Errorf("network namespace name %q is not accepted; want lower-case letters, digits and '-', at most %d, starting and ending with a letter or digit", name, netnsNameMaxLength)
	}
	return nil
}

// Netns is the sandbox's network namespace and every name derived from
// its name.
type Netns struct {
	Name string
}

// Path is the namespace's file, as `ip netns add` makes it.
func (n Netns) Path() string { return filepath.Join("/run/netns", n.Name) }

// RuntimeDir holds sockets (short paths, whatever the checkout's), CNI
// configuration and plugins, IPAM leases and pod network namespaces.
func (n Netns) RuntimeDir() string { return filepath.Join("/run", n.Name) }

// ShimSocketDir is where containerd's shims make their sockets (their
// default is the host's /run/containerd/s).
func (n Netns) ShimSocketDir() string { return filepath.Join(n.RuntimeDir(), "s") }

// ContainerdSocket is containerd's gRPC socket.
func (n Netns) ContainerdSocket() string { return filepath.Join(n.RuntimeDir(), "containerd.sock") }

// CNIBinDir and CNIConfDir are containerd's CNI directories (and
// istio-cni's: Pulumi.sandbox.yaml names them).
func (n Netns) CNIBinDir() string  { return filepath.Join(n.RuntimeDir(), "cni", "bin") }
func (n Netns) CNIConfDir() string { return filepath.Join(n.RuntimeDir(), "cni", "net.d") }

// CgroupRoot is the cgroup every cgroup of the node sits under, in every
// v1 controller: /sys/fs/cgroup/<controller>/<CgroupRoot>.
func (n Netns) CgroupRoot() string { return n.Name }

// CgroupFS is where the cgroup v1 controllers are mounted.
const CgroupFS = "/sys/fs/cgroup"

// IsCgroupDir reports whether dir is /sys/fs/cgroup/<controller>/<root>:
// the only cgroups the sandbox makes and `down` removes.
func (n Netns) IsCgroupDir(dir string) bool {
	rel, err := filepath.Rel(CgroupFS, dir)
	if err != nil || !filepath.IsLocal(rel) {
		return false
	}
	ctrl, name, found := strings.Cut(rel, "/")
	return found && name == n.CgroupRoot() && filepath.Join(CgroupFS, ctrl, name) == dir
}

// KubeletSysctls are the host's kernel settings the kubelet sets on start
// (pkg/kubelet/cm's setupKernelTunables). They are not namespaced, so `up`
// records their values before and `down` puts them back: `down` accepts
// no other name.
var KubeletSysctls = []string{"vm.overcommit_memory", "vm.panic_on_oom", "kernel.panic", "kernel.panic_on_oops", "kernel.keys.root_maxkeys", "kernel.keys.root_maxbytes"}

// KubeletHostPaths are the paths the kubelet and istio-cni write outside
// their configured directories (hard-coded: the device plugin socket
// directory, the /var/log links, istio-cni's socket directory). `down`
// removes those that did not exist before `up`, and no other.
var KubeletHostPaths = []string{"/var/lib/kubelet", "/var/log/containers", "/var/log/pods", "/var/run/istio-cni"}

// RuntimeDefaultPaths are where containerd, its shim, runc and NRI keep
// their state unless told otherwise. The sandbox's configuration tells
// each of them otherwise: none of these may ever appear on the host
// because of it (test/e2e checks while the sandbox runs and after down).
var RuntimeDefaultPaths = []string{"/run/containerd", "/var/lib/containerd", "/var/run/nri", "/run/runc", "/etc/containerd"}

// IsKubeletSysctl reports whether name is one of KubeletSysctls.
func IsKubeletSysctl(name string) bool { return slices.Contains(KubeletSysctls, name) }

// IsKubeletHostPath reports whether p is one of KubeletHostPaths.
func IsKubeletHostPath(p string) bool { return slices.Contains(KubeletHostPaths, p) }
