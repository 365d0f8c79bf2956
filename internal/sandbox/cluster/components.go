package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/configs"
)

const host = "127.0.0.1"

// Components is the sandbox's list for its mode, in start order. Each
// binary is named by its real path, the one /proc/<pid>/exe shows (a
// .tools/ entry may be a link).
func (sb *Sandbox) Components() []Component {
	comps := sb.kwokComponents()
	if sb.Real() {
		comps = sb.realComponents()
	}
	for i, c := range comps {
		if c.Daemon() {
			if real, err := filepath.EvalSymlinks(c.Binary); err == nil {
				comps[i].Binary = real
			}
		}
	}
	return comps
}

// realComponents: the control plane, containerd, the kubelet and
// kube-proxy inside the network namespace, kwok for the simulated
// ingress node, the forwarder on the host, and CoreDNS as the cluster's
// DNS. containerd and the images start beside the control plane.
func (sb *Sandbox) realComponents() []Component {
	s := sb.Settings
	return []Component{
		{Name: "forward", Binary: sb.Self, Stop: 0, Timeout: 10 * time.Second,
			Args: []string{"forward", "-netns", sb.Netns.Path(),
				"-listen", fmt.Sprintf("%d=%s:%d", s.APIServerPort, host, s.APIServerPort),
				"-nodeports", layout.NodeIP, "-kubeconfig", sb.State.Kubeconfig()},
			Ready: listening("tcp", fmt.Sprintf("%s:%d", host, s.APIServerPort))},
		sb.etcd(true),
		// Its shim is found on PATH: the one built beside it comes first.
		{Name: "containerd", Binary: sb.Layout.Containerd("containerd"), InNetns: true, Stop: 1, Timeout: 30 * time.Second,
			Args:  []string{"--config", sb.config("containerd.toml"), "--log-level", "warn"},
			Env:   []string{"PATH=" + filepath.Dir(sb.Layout.Containerd("containerd")) + string(os.PathListSeparator) + os.Getenv("PATH")},
			Ready: listening("unix", sb.Netns.ContainerdSocket())},
		{Name: "images", After: []string{"containerd"}, Run: sb.importImages},
		sb.apiserver(true),
		sb.controllerManager(),
		sb.scheduler(),
		{Name: "kubelet", Binary: sb.Layout.Kubernetes("kubelet"), InNetns: true, Stop: 0, Timeout: 90 * time.Second,
			After: []string{"kube-apiserver", "images"},
			Args: []string{"--config", sb.config("kubelet.yaml"), "--kubeconfig", sb.kubeconfigOf("kubelet"),
				"--root-dir", sb.State.Data("kubelet"), "--cert-dir", sb.State.PKI(),
				"--node-ip", layout.NodeIP, "--hostname-override", layout.NodeName},
			Ready: sb.nodeReady(layout.NodeName)},
		{Name: "kube-proxy", Binary: sb.Layout.Kubernetes("kube-proxy"), InNetns: true, Stop: 1,
			After: []string{"kube-apiserver"},
			Args:  []string{"--config", sb.config("kube-proxy.yaml")}},
		sb.kwok(layout.SimulatedNode, true),
		sb.serviceAccount(),
		{Name: "coredns", After: []string{"kubelet", "service-account"}, Timeout: 120 * time.Second,
			Run: sb.applyCoreDNS, Ready: sb.deploymentCurrent(configs.CoreDNSNamespace, configs.CoreDNSName)},
	}
}

// kwokComponents: the earlier sandbox, kept for benchmarks of many objects
// (30-hop chains). The control plane on the host's 127.0.0.1 and kwok
// faking the one node and every pod; no container runs, no traffic flows,
// webhooks are off. The node's address is 127.0.0.1 and there is no
// kube-proxy; Service cluster IPs come from a loopback range; pod IPs
// from the organization-local multicast range 239.255.0.0/16: valid for
// the API (Endpoints may not hold loopback addresses), and the kernel
// refuses a TCP connection to a multicast address (ENETUNREACH) without
// sending anything.
func (sb *Sandbox) kwokComponents() []Component {
	return []Component{
		sb.etcd(false),
		sb.apiserver(false),
		sb.controllerManager(),
		sb.scheduler(),
		sb.kwok(layout.NodeName, false),
		sb.serviceAccount(),
	}
}

// etcd: plain HTTP on loopback, no fsync: a throwaway single-member cluster.
func (sb *Sandbox) etcd(inNetns bool) Component {
	s := sb.Settings
	client := fmt.Sprintf("http://%s:%d", host, s.EtcdPort)
	peer := fmt.Sprintf("http://%s:%d", host, s.EtcdPeerPort)
	return Component{Name: "etcd", Binary: sb.Layout.Etcd(), InNetns: inNetns, Stop: 4, Timeout: 30 * time.Second,
		Args: []string{"--name", "sandbox", "--data-dir", sb.State.Data("etcd"),
			"--listen-client-urls", client, "--advertise-client-urls", client,
			"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
			"--initial-cluster", "sandbox=" + peer, "--initial-cluster-state", "new",
			"--unsafe-no-fsync", "--log-level", "warn"},
		Ready: sb.etcdHealthy}
}

// apiserver: in real mode it listens on every address the namespace has
// (lo and the bridge: nothing else exists there), so pods reach it at the
// node's address and the host through the forwarder; webhooks are on
// (istiod judges every Istio resource, the injector is live); the kubelet
// is reached at the node's InternalIP (by name it would ask a resolver the
// namespace cannot reach) and verified against the sandbox CA;
// NodeRestriction keeps the kubelet to its own node and pods. In kwok mode
// it listens on 127.0.0.1, refuses to publish a loopback address as the
// kubernetes Service's endpoint (hence no reconciler), has webhooks off
// (Istio's charts register webhooks at Service addresses of pods that
// never run) and sends every connection into the cluster to a socket that
// does not exist.
func (sb *Sandbox) apiserver(real bool) Component {
	s := sb.Settings
	bind, advertise := host, host
	mode := []string{
		"--endpoint-reconciler-type", "none",
		"--disable-admission-plugins", "MutatingAdmissionWebhook,ValidatingAdmissionWebhook",
		"--egress-selector-config-file", sb.config("egress-selector.yaml"),
	}
	if real {
		bind, advertise = "0.0.0.0", layout.NodeIP
		mode = []string{
			"--enable-admission-plugins", "NodeRestriction",
			"--kubelet-preferred-address-types", "InternalIP",
			"--kubelet-certificate-authority", sb.pkiFile("ca.crt"),
			"--kubelet-client-certificate", sb.pkiFile("apiserver-kubelet-client.crt"),
			"--kubelet-client-key", sb.pkiFile("apiserver-kubelet-client.key"),
		}
	}
	args := append([]string{
		"--bind-address", bind, "--advertise-address", advertise,
		"--secure-port", strconv.Itoa(s.APIServerPort),
		"--etcd-servers", fmt.Sprintf("http://%s:%d", host, s.EtcdPort),
		"--service-cluster-ip-range", s.ServiceCIDR,
		"--service-node-port-range", "30000-32767",
		"--authorization-mode", "Node,RBAC",
	}, mode...)
	args = append(args,
		"--client-ca-file", sb.pkiFile("ca.crt"),
		"--tls-cert-file", sb.pkiFile("apiserver.crt"), "--tls-private-key-file", sb.pkiFile("apiserver.key"),
		"--service-account-issuer", "https://kubernetes.default.svc."+layout.ClusterDomain,
		"--service-account-key-file", sb.pkiFile("sa.pub"), "--service-account-signing-key-file", sb.pkiFile("sa.key"),
		"--allow-privileged=true", "--profiling=false")
	return Component{Name: "kube-apiserver", Binary: sb.Layout.Kubernetes("kube-apiserver"), InNetns: real, Stop: 3,
		After: []string{"etcd"}, Args: args, Ready: sb.apiReady, Timeout: 90 * time.Second}
}

func (sb *Sandbox) controllerManager() Component {
	kc := sb.kubeconfigOf("kube-controller-manager")
	return Component{Name: "kube-controller-manager", Binary: sb.Layout.Kubernetes("kube-controller-manager"), InNetns: sb.Real(), Stop: 2,
		After: []string{"kube-apiserver"},
		Args: []string{"--kubeconfig", kc, "--authentication-kubeconfig", kc, "--authorization-kubeconfig", kc,
			"--bind-address", host, "--secure-port", strconv.Itoa(sb.Settings.ControllerManagerPort),
			"--use-service-account-credentials", "--service-account-private-key-file", sb.pkiFile("sa.key"),
			"--root-ca-file", sb.pkiFile("ca.crt"), "--leader-elect=false", "--profiling=false"}}
}

func (sb *Sandbox) scheduler() Component {
	kc := sb.kubeconfigOf("kube-scheduler")
	return Component{Name: "kube-scheduler", Binary: sb.Layout.Kubernetes("kube-scheduler"), InNetns: sb.Real(), Stop: 2,
		After: []string{"kube-apiserver"},
		Args: []string{"--kubeconfig", kc, "--authentication-kubeconfig", kc, "--authorization-kubeconfig", kc,
			"--bind-address", host, "--secure-port", strconv.Itoa(sb.Settings.SchedulerPort),
			"--leader-elect=false", "--profiling=false"}}
}

// kwok runs kwok's pinned "fast" stages (node ready at once, lease
// heartbeat, pods Running and Ready at once, deleted pods removed) for the
// nodes carrying kwok's annotation: the one node in kwok mode, the tainted
// ingress node in real mode. Its pods' addresses lead nowhere: a range
// with no route in real mode, a multicast range in kwok mode.
func (sb *Sandbox) kwok(node string, tainted bool) Component {
	s := sb.Settings
	return Component{Name: "kwok", Binary: sb.Layout.Kwok(), InNetns: sb.Real(), Stop: 2, Timeout: 60 * time.Second,
		After: []string{"kube-apiserver"},
		Args: []string{"--kubeconfig", sb.kubeconfigOf("kwok"), "--config", sb.Layout.KwokStages(),
			"--manage-nodes-with-annotation-selector", layout.SimulatedAnnotation + "=" + layout.SimulatedAnnotationValue,
			"--node-ip", host, "--node-port", strconv.Itoa(s.KwokPort),
			"--server-address", fmt.Sprintf("%s:%d", host, s.KwokPort),
			"--cidr", s.KwokPodCIDR, "--node-lease-duration-seconds", "40"},
		Run:   sb.createNode(configs.SimulatedNode{Name: node, Annotation: layout.SimulatedAnnotation, Value: layout.SimulatedAnnotationValue, TaintLabel: layout.SimulatedLabel, Tainted: tainted}),
		Ready: sb.nodeReady(node)}
}

// serviceAccount waits for the controller manager's first default
// ServiceAccount, so the cluster is usable at once.
func (sb *Sandbox) serviceAccount() Component {
	return Component{Name: "service-account", After: []string{"kube-controller-manager"}, Ready: sb.defaultServiceAccount}
}
