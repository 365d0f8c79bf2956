package e2e

import (
	"os"
	"os/exec"
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

// TestSandboxDownTrustsOnlyItsRecords runs `hack/sandbox.sh down`, as
// root, over records that up never writes: down acts on no entry outside
// what the sandbox itself can make, names each one it refuses and fails;
// and the network namespace up recorded wins over SANDBOX_NETNS.
func TestSandboxDownTrustsOnlyItsRecords(t *testing.T) {
	stateDir := os.Getenv("SANDBOX_STATE")
	if stateDir == "" {
		t.Skip("runs after hack/sandbox.sh down, with SANDBOX_STATE set (make e2e)")
	}
	root, err := utils.ProjectDir()
	if err != nil {
		t.Fatal(err)
	}
	run := func(env []string, args ...string) (string, error) {
		cmd := exec.Command(filepath.Join(root, "hack", "sandbox.sh"), args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// write puts a record in place for one subtest, removed after it.
	write := func(t *testing.T, name, content string) {
		t.Helper()
		path := filepath.Join(stateDir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(path) })
	}

	t.Run("a recorded namespace wins over SANDBOX_NETNS", func(t *testing.T) {
		write(t, "run/mode", "real\n")
		write(t, "run/netns", "pk-recorded\n")
		out, _ := run([]string{"SANDBOX_NETNS=pk-from-the-environment"}, "status")
		if !strings.Contains(out, "pk-recorded") || strings.Contains(out, "pk-from-the-environment") {
			t.Errorf("status with a recorded namespace and another SANDBOX_NETNS:\n%s\nwant it to act on the recorded one", out)
		}
	})
	t.Run("a recorded namespace that is no name is refused before anything", func(t *testing.T) {
		write(t, "run/mode", "real\n")
		write(t, "run/netns", "Not/A-Name\n")
		out, err := run(nil, "down")
		if err == nil || !strings.Contains(out, "'Not/A-Name'") {
			t.Errorf("down over a recorded namespace 'Not/A-Name': %v\n%s\nwant a refusal naming it", err, out)
		}
	})
	t.Run("entries up never writes are refused by name and left alone", func(t *testing.T) {
		canary := t.TempDir()
		hostname, err := os.ReadFile("/proc/sys/kernel/hostname")
		if err != nil {
			t.Fatal(err)
		}
		overcommit, err := os.ReadFile("/proc/sys/vm/overcommit_memory")
		if err != nil {
			t.Fatal(err)
		}
		write(t, "host-sysctls", "kernel.hostname=not-this-host\nvm.overcommit_memory="+strings.TrimSpace(string(overcommit))+"\n")
		write(t, "host-paths-created", canary+"\n")
		out, err := run(nil, "down")
		if err == nil {
			t.Errorf("down succeeded over foreign records:\n%s", out)
		}
		for _, want := range []string{"'kernel.hostname=not-this-host'", "'" + canary + "'"} {
			if !strings.Contains(out, want) {
				t.Errorf("down does not name the refused entry %s:\n%s", want, out)
			}
		}
		if strings.Contains(out, "refusing 'vm.overcommit_memory") {
			t.Errorf("down refused the kubelet's own sysctl:\n%s", out)
		}
		if _, err := os.Stat(canary); err != nil {
			t.Errorf("down removed %s, which the sandbox never makes: %v", canary, err)
		}
		if now, _ := os.ReadFile("/proc/sys/kernel/hostname"); string(now) != string(hostname) {
			t.Errorf("down set the host name to %q", now)
		}
	})
}
