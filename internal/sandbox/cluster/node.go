package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/hoststate"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/netns"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/record"
)

// netnsUp makes the namespace with its loopback and the (empty) CNI
// bridge holding the node's address, and turns forwarding on inside it
// only. Each step is skipped when done, so an up of a running sandbox
// changes nothing.
func (sb *Sandbox) netnsUp() error {
	name := sb.Netns.Name
	if _, err := os.Stat(sb.Netns.Path()); err != nil {
		sb.Log.Info("creating network namespace " + name + " (lo and the CNI bridge only, no route out)")
		if err := ip("netns", "add", name); err != nil {
			return err
		}
	}
	in := func(args ...string) error { return ip(append([]string{"-n", name}, args...)...) }
	if err := in("link", "set", "lo", "up"); err != nil {
		return err
	}
	if out, _ := ipOutput("-n", name, "link", "show", layout.Bridge); out == "" {
		if err := in("link", "add", layout.Bridge, "type", "bridge"); err != nil {
			return err
		}
	}
	prefix := strings.SplitN(layout.PodCIDR, "/", 2)[1]
	if out, _ := ipOutput("-n", name, "addr", "show", "dev", layout.Bridge); !strings.Contains(out, "inet "+layout.NodeIP+"/") {
		if err := in("addr", "add", layout.NodeIP+"/"+prefix, "dev", layout.Bridge); err != nil {
			return err
		}
	}
	if err := in("link", "set", layout.Bridge, "up"); err != nil {
		return err
	}
	// Service addresses are virtual (kube-proxy rewrites them to a pod's),
	// but a connection from the namespace itself (the API server calling
	// a webhook, istio-cni's plugin calling the API) needs a route to
	// choose before that rewrite: the bridge. Still nothing leads out.
	if out, _ := ipOutput("-n", name, "route", "show", sb.Settings.ServiceCIDR); strings.TrimSpace(out) == "" {
		if err := in("route", "add", sb.Settings.ServiceCIDR, "dev", layout.Bridge, "src", layout.NodeIP); err != nil {
			return err
		}
	}
	// Namespaced settings, inside the sandbox: pods reach Services through
	// the node (forwarding), and Service replies between pods on the
	// bridge pass kube-proxy's rules (bridge netfilter, when its module
	// is loaded).
	return netns.Do(sb.Netns.Path(), func() error {
		if err := hoststate.WriteSysctl("net.ipv4.ip_forward", "1"); err != nil {
			return fmt.Errorf("net.ipv4.ip_forward in the sandbox's namespace: %w", err)
		}
		_ = hoststate.WriteSysctl("net.bridge.bridge-nf-call-iptables", "1")
		return nil
	})
}

func ip(args ...string) error {
	_, err := ipOutput(args...)
	return err
}

func ipOutput(args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("ip", args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// makeCgroups makes the node's cgroup in every v1 controller, recording
// each before it is made.
func (sb *Sandbox) makeCgroups() error {
	ctrls, err := os.ReadDir(layout.CgroupFS)
	if err != nil {
		return err
	}
	for _, c := range ctrls {
		ctrl := filepath.Join(layout.CgroupFS, c.Name())
		if _, err := os.Stat(filepath.Join(ctrl, "cgroup.procs")); err != nil || !c.IsDir() {
			continue
		}
		dir := filepath.Join(ctrl, sb.Netns.CgroupRoot())
		if err := sb.update(func(r *record.Record) {
			if !contains(r.Cgroups, dir) {
				r.Cgroups = append(r.Cgroups, dir)
			}
		}); err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	// A new cpuset cgroup starts with no CPUs and no memory nodes.
	cpuset := filepath.Join(layout.CgroupFS, "cpuset")
	if _, err := os.Stat(filepath.Join(cpuset, sb.Netns.CgroupRoot())); err == nil {
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			v, err := os.ReadFile(filepath.Join(cpuset, f))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(cpuset, sb.Netns.CgroupRoot(), f), v, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// recordHostState remembers, once per sandbox, the host's sysctls the
// kubelet will change and which of its paths do not exist yet.
func (sb *Sandbox) recordHostState() error {
	sb.mu.Lock()
	done := sb.rec.SysctlsRecorded
	sb.mu.Unlock()
	if done {
		return nil
	}
	var sysctls []record.Sysctl
	for _, name := range layout.KubeletSysctls {
		if v, err := hoststate.ReadSysctl(name); err == nil {
			sysctls = append(sysctls, record.Sysctl{Name: name, Value: v})
		}
	}
	var created []string
	for _, p := range layout.KubeletHostPaths {
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			created = append(created, p)
		}
	}
	return sb.update(func(r *record.Record) {
		r.Sysctls, r.HostPathsCreated, r.SysctlsRecorded = sysctls, created, true
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
