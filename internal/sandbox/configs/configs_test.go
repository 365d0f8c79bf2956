package configs

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"k8s.io/client-go/tools/clientcmd"
	kubeproxyv1alpha1 "k8s.io/kube-proxy/config/v1alpha1"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
	"sigs.k8s.io/yaml"
)

// TestKubeletConfiguration: the rendered file reads back strictly as the
// upstream type with the values the node depends on.
func TestKubeletConfiguration(t *testing.T) {
	raw, err := Kubelet{CgroupRoot: "sb", ContainerdSocket: "/run/sb/containerd.sock", NodeIP: "10.244.0.1",
		DNSIP: "10.96.0.10", ClusterDomain: "cluster.local", ResolvConf: "/s/resolv.conf"}.Render()
	if err != nil {
		t.Fatal(err)
	}
	var got kubeletv1beta1.KubeletConfiguration
	if err := yaml.UnmarshalStrict(raw, &got); err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	for _, c := range []struct{ what, got, want string }{
		{"kind", got.Kind, "KubeletConfiguration"},
		{"apiVersion", got.APIVersion, "kubelet.config.k8s.io/v1beta1"},
		{"cgroupRoot", got.CgroupRoot, "/sb"},
		{"containerRuntimeEndpoint", got.ContainerRuntimeEndpoint, "unix:///run/sb/containerd.sock"},
		{"address", got.Address, "10.244.0.1"},
		{"clusterDNS", strings.Join(got.ClusterDNS, ","), "10.96.0.10"},
		{"resolvConf", *got.ResolverConfig, "/s/resolv.conf"},
		{"authorization", string(got.Authorization.Mode), "Webhook"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if *got.FailCgroupV1 || *got.Authentication.Anonymous.Enabled || *got.ImageGCHighThresholdPercent != 100 || *got.OOMScoreAdj != 0 {
		t.Errorf("cgroup v1 allowed, anonymous off, images never collected, no negative OOM score: %s", raw)
	}
}

func TestKubeProxyConfiguration(t *testing.T) {
	raw, err := KubeProxy{Kubeconfig: "/k", NodeName: "sandbox-node", PodCIDR: "10.244.0.0/24"}.Render()
	if err != nil {
		t.Fatal(err)
	}
	var got kubeproxyv1alpha1.KubeProxyConfiguration
	if err := yaml.UnmarshalStrict(raw, &got); err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	if got.Kind != "KubeProxyConfiguration" || got.Mode != "iptables" || got.ClientConnection.Kubeconfig != "/k" ||
		got.HostnameOverride != "sandbox-node" || got.ClusterCIDR != "10.244.0.0/24" || !strings.HasPrefix(got.HealthzBindAddress, "127.0.0.1:") {
		t.Errorf("read back %+v", got)
	}
	// The conntrack table is the host's: kube-proxy must not size it.
	if *got.Conntrack.MaxPerCore != 0 || *got.Conntrack.Min != 0 {
		t.Errorf("conntrack tuned: %+v", got.Conntrack)
	}
}

// TestContainerdConfiguration: containerd 2.4's version 4 layout (server
// plugins, the CRI's images and runtime plugins), the built runc, and no
// value left to a default that points at the host's own runtime paths.
func TestContainerdConfiguration(t *testing.T) {
	raw, err := Containerd{Root: "/s/containerd", State: "/run/sb/containerd", Socket: "/run/sb/containerd.sock", OptDir: "/s/containerd/opt",
		PauseImage: "localhost/pause:1", CNIBin: "/run/sb/cni/bin", CNIConf: "/run/sb/cni/net.d", Runc: "/t/runc-v1/runc", RuncRoot: "/run/sb/runc", ShimSocketDir: "/run/sb/s"}.Render()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if _, err := toml.Decode(string(raw), &got); err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	plugin := func(name string) map[string]any {
		p, _ := got["plugins"].(map[string]any)[name].(map[string]any)
		return p
	}
	runtime := plugin("io.containerd.cri.v1.runtime")
	runc := runtime["containerd"].(map[string]any)["runtimes"].(map[string]any)["runc"].(map[string]any)
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"version", got["version"], int64(4)},
		{"root", got["root"], "/s/containerd"},
		{"imports", fmt.Sprint(got["imports"]), "[]"},
		{"grpc address", plugin("io.containerd.server.v1.grpc")["address"], "/run/sb/containerd.sock"},
		{"ttrpc address", plugin("io.containerd.server.v1.ttrpc")["address"], "/run/sb/containerd.sock.ttrpc"},
		{"sandbox image", plugin("io.containerd.cri.v1.images")["pinned_images"].(map[string]any)["sandbox"], "localhost/pause:1"},
		{"restrict_oom_score_adj", runtime["restrict_oom_score_adj"], true},
		{"runc binary", runc["options"].(map[string]any)["BinaryName"], "/t/runc-v1/runc"},
		{"runc root", runc["options"].(map[string]any)["Root"], "/run/sb/runc"},
		{"shim sockets", plugin("io.containerd.shim.v1.manager")["socket_dir"], "/run/sb/s"},
		{"CNI bin_dirs", fmt.Sprint(runtime["cni"].(map[string]any)["bin_dirs"]), "[/run/sb/cni/bin]"},
		{"NRI disabled", slices.Contains(got["disabled_plugins"].([]any), any("io.containerd.nri.v1.nri")), true},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	for _, host := range []string{"/run/containerd", "/var/lib/containerd", "/var/run/nri", "/etc/containerd"} {
		if strings.Contains(string(raw), host) {
			t.Errorf("the configuration names the host's %s:\n%s", host, raw)
		}
	}
	// Keys of version 2 and 3 that version 4 moved: containerd would
	// migrate them with a warning, or ignore them.
	for _, old := range []string{"grpc", "ttrpc"} {
		if _, ok := got[old]; ok {
			t.Errorf("top-level %s section (moved to the server plugins in version 4):\n%s", old, raw)
		}
	}
	if cri := plugin("io.containerd.grpc.v1.cri"); cri["sandbox_image"] != nil || cri["containerd"] != nil || cri["cni"] != nil {
		t.Errorf("version 2 keys under io.containerd.grpc.v1.cri:\n%s", raw)
	}
}

func TestCNIHasNoWayOut(t *testing.T) {
	raw, err := CNI{Bridge: "cni0", PodCIDR: "10.244.0.0/24", Gateway: "10.244.0.1", IPAMDir: "/run/sb/cni/ipam"}.Render()
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Plugins []struct {
			Type   string
			IPMasq bool
			IPAM   struct {
				Ranges [][]struct{ Subnet, Gateway string }
			}
		}
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	p := got.Plugins[0]
	if p.Type != "bridge" || p.IPMasq || p.IPAM.Ranges[0][0].Subnet != "10.244.0.0/24" || p.IPAM.Ranges[0][0].Gateway != "10.244.0.1" {
		t.Errorf("conflist %s", raw)
	}
}

// TestCorefileResolvesNothingOutside: CoreDNS answers for the cluster and
// forwards nowhere.
func TestCorefileResolvesNothingOutside(t *testing.T) {
	c := Corefile{ClusterDomain: "cluster.local", TTL: 30, LogQueries: true}.Render()
	for _, want := range []string{"kubernetes cluster.local in-addr.arpa ip6.arpa", "ready", "health", "\n    log\n"} {
		if !strings.Contains(c, want) {
			t.Errorf("Corefile lacks %q:\n%s", want, c)
		}
	}
	if strings.Contains(c, "forward") {
		t.Errorf("Corefile forwards queries:\n%s", c)
	}
	if quiet := (Corefile{ClusterDomain: "cluster.local", TTL: 30}).Render(); strings.Contains(quiet, " log\n") {
		t.Errorf("LogQueries off still logs:\n%s", quiet)
	}
}

func TestKubeconfigEmbedsItsCredentials(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "u.crt"), filepath.Join(dir, "u.key")
	for f, body := range map[string]string{cert: "CERT", key: "KEY"} {
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := Kubeconfig("https://127.0.0.1:16443", []byte("CA"), cert, key)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.Load(raw)
	if err != nil {
		t.Fatal(err)
	}
	ctx := cfg.Contexts[cfg.CurrentContext]
	if cfg.Clusters[ctx.Cluster].Server != "https://127.0.0.1:16443" || string(cfg.Clusters[ctx.Cluster].CertificateAuthorityData) != "CA" ||
		string(cfg.AuthInfos[ctx.AuthInfo].ClientCertificateData) != "CERT" || string(cfg.AuthInfos[ctx.AuthInfo].ClientKeyData) != "KEY" {
		t.Errorf("kubeconfig %s", raw)
	}
}
