package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
)

// cniPlugins are the CNI plugins the pod network uses (Debian's
// containernetworking-plugins).
var cniPlugins = []string{"bridge", "host-local", "loopback"}

// debianCNIDir is where Debian installs them.
const debianCNIDir = "/usr/lib/cni"

// checkTools names what `make tools` has not built.
func (sb *Sandbox) checkTools() error {
	var missing []string
	want := []string{sb.Layout.Kubectl(), sb.Layout.KwokStages()}
	for _, c := range sb.Components() {
		if c.Daemon() && c.Binary != sb.Self {
			want = append(want, c.Binary)
		}
	}
	if sb.Real() {
		want = append(want, sb.Layout.ImageIndex())
		for _, f := range sb.Layout.Runtime() {
			if !slices.Contains(want, f) {
				want = append(want, f)
			}
		}
	}
	for _, f := range want {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, sb.Layout.Rel(f))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("not built: %s; run make tools first", strings.Join(missing, ", "))
	}
	return nil
}

// checkNodeHost names the Debian packages real pods need, and refuses a
// machine without root or cgroup v1.
func (sb *Sandbox) checkNodeHost() error {
	var pkgs []string
	need := func(pkg string, ok bool) {
		if !ok && !slices.Contains(pkgs, pkg) {
			pkgs = append(pkgs, pkg)
		}
	}
	onPath := func(cmd string) bool { _, err := exec.LookPath(cmd); return err == nil }
	for _, p := range cniPlugins {
		_, err := os.Stat(filepath.Join(debianCNIDir, p))
		need("containernetworking-plugins", err == nil)
	}
	need("iptables", onPath("iptables"))
	need("conntrack", onPath("conntrack"))
	need("iproute2", onPath("ip"))
	if len(pkgs) > 0 {
		return fmt.Errorf("missing Debian packages for real pods: %s; run: apt-get install -y %s (or SANDBOX_MODE=kwok for simulated pods)",
			strings.Join(pkgs, ", "), strings.Join(pkgs, " "))
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("real pods need root (network namespaces, containerd, the kubelet); run as root, or SANDBOX_MODE=kwok")
	}
	for _, c := range []string{"memory", "cpu"} {
		if _, err := os.Stat(filepath.Join(layout.CgroupFS, c)); err != nil {
			return fmt.Errorf("real pods need the cgroup v1 controllers under %s (memory, cpu): this machine's layout is not supported (or SANDBOX_MODE=kwok)", layout.CgroupFS)
		}
	}
	return nil
}
