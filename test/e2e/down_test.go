package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/record"
)

// TestSandboxDownLeftNothing runs after `sandbox down` (make e2e runs it
// with SANDBOX_AFTER_DOWN set): no process, container shim, mount,
// cgroup, network namespace, runtime file or record of the sandbox is
// left, and the host is as the sandbox found it (links, routes, rules,
// network and kernel settings, the kubelet's hard-coded paths).
func TestSandboxDownLeftNothing(t *testing.T) {
	if !afterDown() {
		t.Skip("runs after sandbox down, with SANDBOX_AFTER_DOWN set (make e2e)")
	}
	l := checkout(t)
	state := l.SandboxState()
	ns := layout.Netns{Name: sandboxNetns}

	before, now := hostSnapshots(t)
	for name, want := range before {
		if now[name] != want {
			t.Errorf("after down the host's %s differ from before up:\nbefore:\n%s\nnow:\n%s", name, want, now[name])
		}
	}

	if _, err := os.Stat(ns.Path()); err == nil {
		t.Errorf("network namespace %s is left", sandboxNetns)
	}
	if _, err := os.Stat(ns.RuntimeDir()); err == nil {
		t.Errorf("%s is left", ns.RuntimeDir())
	}
	if _, err := os.Stat(state.Record()); err == nil {
		t.Errorf("the record %s is left", state.Record())
	}
	cgroups, _ := filepath.Glob(filepath.Join(layout.CgroupFS, "*", ns.CgroupRoot()))
	for _, cg := range cgroups {
		t.Errorf("cgroup %s is left", cg)
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mounts), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (strings.HasPrefix(f[4], ns.RuntimeDir()) || strings.HasPrefix(f[4], state.Dir+"/")) {
			t.Errorf("mount left: %s", f[4])
		}
	}
	for _, data := range layout.DataDirs {
		if _, err := os.Stat(state.Data(data)); err == nil {
			t.Errorf("%s is left", state.Data(data))
		}
	}

	// Processes: any binary of .tools/ (the forwarder is .tools/bin/sandbox),
	// containerd or a shim or runc speaking to the sandbox's socket.
	procs, _ := filepath.Glob("/proc/[0-9]*")
	tools := []string{l.ToolsDir() + "/"}
	entries, _ := os.ReadDir(l.ToolsDir())
	for _, e := range entries {
		// A linked tool directory runs under its real path.
		if real, err := filepath.EvalSymlinks(filepath.Join(l.ToolsDir(), e.Name())); err == nil {
			tools = append(tools, real+"/")
		}
	}
	for _, p := range procs {
		exe, err := os.Readlink(filepath.Join(p, "exe"))
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(p, "cmdline"))
		args := strings.ReplaceAll(string(cmdline), "\x00", " ")
		if slices.ContainsFunc(tools, func(dir string) bool { return strings.HasPrefix(exe, dir) }) || strings.Contains(args, ns.RuntimeDir()) {
			t.Errorf("process %s left: %s (%s)", filepath.Base(p), exe, strings.TrimSpace(args))
		}
	}
}

// TestSandboxDownTrustsOnlyItsRecords runs `sandbox down`, as root, over
// records that up never writes: down acts on no entry outside what the
// sandbox itself can make, names each one it refuses and fails; and the
// network namespace up recorded wins over SANDBOX_NETNS.
func TestSandboxDownTrustsOnlyItsRecords(t *testing.T) {
	if !afterDown() {
		t.Skip("runs after sandbox down, with SANDBOX_AFTER_DOWN set (make e2e)")
	}
	state := checkout(t).SandboxState()
	run := func(env []string, args ...string) (string, error) {
		cmd := sandboxCommand(t, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// write puts a record in place for one subtest, removed after it.
	write := func(t *testing.T, rec record.Record) {
		t.Helper()
		if err := rec.Save(state.Record()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(state.Record()) })
	}

	t.Run("a recorded namespace wins over SANDBOX_NETNS", func(t *testing.T) {
		write(t, record.Record{Mode: record.Real, Netns: "pk-recorded"})
		out, _ := run([]string{"SANDBOX_NETNS=pk-from-the-environment"}, "status")
		if !strings.Contains(out, "pk-recorded") || strings.Contains(out, "pk-from-the-environment") {
			t.Errorf("status with a recorded namespace and another SANDBOX_NETNS:\n%s\nwant it to act on the recorded one", out)
		}
	})
	t.Run("a recorded namespace that is no name is refused before anything", func(t *testing.T) {
		canary := filepath.Join(state.Data("etcd"), "canary")
		if err := os.MkdirAll(filepath.Dir(canary), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(canary, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(state.Data("etcd")) })
		write(t, record.Record{Mode: record.Real, Netns: "Not/A-Name", DataDirs: []string{state.Data("etcd")}})
		out, err := run(nil, "down")
		if err == nil || !strings.Contains(out, "Not/A-Name") {
			t.Errorf("down over a recorded namespace 'Not/A-Name': %v\n%s\nwant a refusal naming it", err, out)
		}
		if _, err := os.Stat(canary); err != nil {
			t.Errorf("down acted on the record of a refused namespace: %v", err)
		}
	})
	t.Run("entries up never writes are refused by name and left alone", func(t *testing.T) {
		canary := t.TempDir()
		cgroupCanary := filepath.Join(layout.CgroupFS, "memory", "pk-canary")
		hostname, err := os.ReadFile("/proc/sys/kernel/hostname")
		if err != nil {
			t.Fatal(err)
		}
		overcommit, err := os.ReadFile("/proc/sys/vm/overcommit_memory")
		if err != nil {
			t.Fatal(err)
		}
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		write(t, record.Record{
			Mode:  record.Real,
			Netns: sandboxNetns,
			Sysctls: []record.Sysctl{
				{Name: "kernel.hostname", Value: "not-this-host"},
				{Name: "vm.overcommit_memory", Value: strings.TrimSpace(string(overcommit))},
			},
			HostPathsCreated: []string{canary},
			DataDirs:         []string{canary},
			MountRoots:       []string{canary},
			RuntimeDir:       canary,
			Cgroups:          []string{cgroupCanary},
			Processes:        []record.Process{{Name: "etcd", PID: os.Getpid(), Binary: self}},
		})
		out, err := run(nil, "down")
		if err == nil {
			t.Errorf("down succeeded over foreign records:\n%s", out)
		}
		for _, want := range []string{"kernel.hostname=not-this-host", canary, cgroupCanary, "pid " + strconv.Itoa(os.Getpid())} {
			if !strings.Contains(out, want) {
				t.Errorf("down does not name the refused entry %s:\n%s", want, out)
			}
		}
		// The refused entries are name=value; the allow-list in the
		// messages lists names alone.
		if strings.Contains(out, "vm.overcommit_memory=") {
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
