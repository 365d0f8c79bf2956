package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/test/utils"
)

// TestSandboxDownLeftNothing runs after `hack/sandbox.sh down` (make e2e
// runs it with SANDBOX_STATE=.state/sandbox): no process, container shim,
// mount, cgroup, network namespace or runtime file of the sandbox is left,
// and the host is as the sandbox found it (links, routes, rules, network
// and kernel settings, the kubelet's hard-coded paths).
func TestSandboxDownLeftNothing(t *testing.T) {
	if os.Getenv("SANDBOX_STATE") == "" {
		t.Skip("runs after hack/sandbox.sh down, with SANDBOX_STATE set (make e2e)")
	}
	root, err := utils.ProjectDir()
	if err != nil {
		t.Fatal(err)
	}
	runtimeDir := "/run/" + sandboxNetns
	stateDir := os.Getenv("SANDBOX_STATE")

	before, now := hostSnapshots(t)
	for name, want := range before {
		if now[name] != want {
			t.Errorf("after down the host's %s differ from before up:\nbefore:\n%s\nnow:\n%s", name, want, now[name])
		}
	}

	if _, err := os.Stat("/run/netns/" + sandboxNetns); err == nil {
		t.Errorf("network namespace %s is left", sandboxNetns)
	}
	if _, err := os.Stat(runtimeDir); err == nil {
		t.Errorf("%s is left", runtimeDir)
	}
	cgroups, _ := filepath.Glob("/sys/fs/cgroup/*/" + sandboxNetns)
	for _, cg := range cgroups {
		t.Errorf("cgroup %s is left", cg)
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mounts), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (strings.HasPrefix(f[4], runtimeDir) || strings.HasPrefix(f[4], stateDir+"/")) {
			t.Errorf("mount left: %s", f[4])
		}
	}
	for _, data := range []string{"etcd", "containerd", "kubelet", "pod-logs"} {
		if _, err := os.Stat(filepath.Join(stateDir, data)); err == nil {
			t.Errorf("%s/%s is left", stateDir, data)
		}
	}

	// Processes: any binary of .tools/, containerd or a shim or runc
	// speaking to the sandbox's socket, anything still in its cgroups.
	procs, _ := filepath.Glob("/proc/[0-9]*")
	tools := filepath.Join(root, ".tools") + "/"
	for _, p := range procs {
		exe, err := os.Readlink(filepath.Join(p, "exe"))
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(p, "cmdline"))
		args := strings.ReplaceAll(string(cmdline), "\x00", " ")
		if strings.HasPrefix(exe, tools) || strings.Contains(args, runtimeDir) {
			t.Errorf("process %s left: %s (%s)", filepath.Base(p), exe, strings.TrimSpace(args))
		}
	}
}
