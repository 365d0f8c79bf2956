package cluster

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/internal/atomicfile"
	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/configs"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/pki"
)

// users are the API's users: the admin (the kubeconfig users and tests
// get), the two controllers under the names the bootstrap RBAC roles
// bind, kwok (which stands in for a kubelet and node controller, so gets
// the admin's group), and on the real node the kubelet, kube-proxy and
// the API server's client of the kubelet.
func (sb *Sandbox) users() []pki.Cert {
	certs := []pki.Cert{
		{Name: "admin", CommonName: "sandbox-admin", Organization: []string{"system:masters"}},
		{Name: "kube-controller-manager", CommonName: "system:kube-controller-manager"},
		{Name: "kube-scheduler", CommonName: "system:kube-scheduler"},
		{Name: "kwok", CommonName: "kwok-controller", Organization: []string{"system:masters"}},
	}
	if sb.Real() {
		certs = append(certs,
			pki.Cert{Name: "kubelet", CommonName: "system:node:" + layout.NodeName, Organization: []string{"system:nodes"},
				IPs: []net.IP{net.ParseIP(layout.NodeIP)}, DNSNames: []string{layout.NodeName}},
			pki.Cert{Name: "kube-proxy", CommonName: "system:kube-proxy"},
			pki.Cert{Name: "apiserver-kubelet-client", CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"}},
		)
	}
	return certs
}

// makePKI makes what is missing of the CA, the API server's serving
// certificate, the users' certificates and the service-account key.
func (sb *Sandbox) makePKI() (*pki.Dir, error) {
	dir, err := pki.Open(sb.State.PKI())
	if err != nil {
		return nil, err
	}
	kubernetesIP, err := firstIP(sb.Settings.ServiceCIDR)
	if err != nil {
		return nil, err
	}
	ips := []net.IP{net.ParseIP(host), kubernetesIP}
	if sb.Real() {
		ips = append(ips, net.ParseIP(layout.NodeIP))
	}
	svc := "kubernetes.default.svc"
	certs := append([]pki.Cert{{Name: "apiserver", CommonName: "kube-apiserver", IPs: ips,
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", svc, svc + "." + layout.ClusterDomain}}}, sb.users()...)
	for _, c := range certs {
		if err := dir.Ensure(c); err != nil {
			return nil, err
		}
	}
	return dir, dir.EnsureKeyPair("sa")
}

// firstIP is the first address of a range: the kubernetes Service's
// ClusterIP.
func firstIP(cidr string) (net.IP, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return nil, fmt.Errorf("service range %q: %w", cidr, err)
	}
	return net.IP(p.Masked().Addr().Next().AsSlice()), nil
}

// writeConfigs writes every kubeconfig and configuration file, each only
// when it differs, so an up of a running sandbox leaves running daemons'
// configuration alone (kube-proxy exits when its file changes).
func (sb *Sandbox) writeConfigs(dir *pki.Dir) error {
	for _, d := range []string{sb.State.Config(), sb.State.Logs()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	server := fmt.Sprintf("https://%s:%d", host, sb.Settings.APIServerPort)
	files := map[string]func() ([]byte, error){}
	kubeconfig := func(user string) func() ([]byte, error) {
		return func() ([]byte, error) {
			return configs.Kubeconfig(server, dir.CAPEM(), dir.File(user, ".crt"), dir.File(user, ".key"))
		}
	}
	files[sb.State.Kubeconfig()] = kubeconfig("admin")
	for _, u := range sb.users() {
		if u.Name != "admin" {
			files[sb.kubeconfigOf(u.Name)] = kubeconfig(u.Name)
		}
	}
	if sb.Real() {
		sb.nodeConfigs(files)
	} else {
		files[sb.config("egress-selector.yaml")] = func() ([]byte, error) {
			return configs.EgressSelector(sb.config("no-cluster-egress.sock"))
		}
	}
	for file, render := range files {
		data, err := render()
		if err != nil {
			return err
		}
		if err := updateFile(file, data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// nodeConfigs adds the real node's files: containerd's, the CNI
// network's, the kubelet's and kube-proxy's.
func (sb *Sandbox) nodeConfigs(files map[string]func() ([]byte, error)) {
	rt := sb.Netns.RuntimeDir()
	files[filepath.Join(sb.Netns.CNIConfDir(), "10-sandbox.conflist")] = configs.CNI{
		Bridge: layout.Bridge, PodCIDR: layout.PodCIDR, Gateway: layout.NodeIP, IPAMDir: filepath.Join(rt, "cni", "ipam"),
	}.Render
	files[sb.config("containerd.toml")] = configs.Containerd{
		Root: sb.State.Data("containerd"), State: filepath.Join(rt, "containerd"), Socket: sb.Netns.ContainerdSocket(),
		OptDir: filepath.Join(sb.State.Data("containerd"), "opt"), PauseImage: playk8s.Version("SANDBOX_PAUSE_IMAGE"),
		CNIBin: sb.Netns.CNIBinDir(), CNIConf: sb.Netns.CNIConfDir(), Runc: sb.Layout.Runc(), RuncRoot: filepath.Join(rt, "runc"),
		ShimSocketDir: sb.Netns.ShimSocketDir(),
	}.Render
	files[sb.config("resolv.conf")] = func() ([]byte, error) { return nil, nil }
	files[sb.config("kubelet.yaml")] = configs.Kubelet{
		CgroupRoot: sb.Netns.CgroupRoot(), ContainerdSocket: sb.Netns.ContainerdSocket(), NodeIP: layout.NodeIP,
		CertFile: sb.pkiFile("kubelet.crt"), KeyFile: sb.pkiFile("kubelet.key"), ClientCAFile: sb.pkiFile("ca.crt"),
		DNSIP: layout.DNSIP, ClusterDomain: layout.ClusterDomain, ResolvConf: sb.config("resolv.conf"),
		VolumePluginDir: filepath.Join(sb.State.Data("kubelet"), "volume-plugins"), PodLogsDir: sb.State.Data("pod-logs"),
	}.Render
	files[sb.config("kube-proxy.yaml")] = configs.KubeProxy{
		Kubeconfig: sb.kubeconfigOf("kube-proxy"), NodeName: layout.NodeName, PodCIDR: layout.PodCIDR,
	}.Render
}

// cniBinaries links Debian's CNI plugins into the runtime directory.
func (sb *Sandbox) cniBinaries() error {
	dirs := []string{sb.Netns.CNIBinDir(), sb.Netns.CNIConfDir(), filepath.Join(sb.Netns.RuntimeDir(), "cni", "ipam"), filepath.Join(sb.Netns.RuntimeDir(), "containerd")}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for _, p := range cniPlugins {
		link := filepath.Join(sb.Netns.CNIBinDir(), p)
		target := filepath.Join(debianCNIDir, p)
		if got, err := os.Readlink(link); err == nil && got == target {
			continue
		}
		_ = os.Remove(link)
		if err := os.Symlink(target, link); err != nil {
			return err
		}
	}
	return nil
}

// updateFile writes data unless the file already holds it.
func updateFile(file string, data []byte, mode os.FileMode) error {
	if old, err := os.ReadFile(file); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return atomicfile.Write(file, data, mode)
}
