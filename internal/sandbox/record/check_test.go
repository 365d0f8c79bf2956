package record

import (
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
)

// TestCheckAcceptsOnlyWhatTheSandboxMakes: down reads the record as root,
// so every entry outside what up can write is refused by name, and what up
// writes passes untouched.
func TestCheckAcceptsOnlyWhatTheSandboxMakes(t *testing.T) {
	state := layout.SandboxState{Dir: "/repo/.state/sandbox"}
	ns := layout.Netns{Name: "play-kubernetes-sandbox"}
	a := Allowed{State: state, Binaries: []string{"/repo/.tools/etcd-v3/etcd", "/repo/.tools/containerd-v2.4.2/containerd"}, Tools: "/repo/.tools"}
	good := Record{
		Mode: Real, Netns: ns.Name, NetnsPath: ns.Path(), RuntimeDir: ns.RuntimeDir(),
		Cgroups:          []string{"/sys/fs/cgroup/memory/play-kubernetes-sandbox", "/sys/fs/cgroup/pids/play-kubernetes-sandbox"},
		DataDirs:         []string{state.Data("etcd"), state.Data("containerd")},
		MountRoots:       []string{state.Dir, ns.RuntimeDir()},
		Sysctls:          []Sysctl{{"vm.overcommit_memory", "1"}, {"kernel.panic", "-1"}},
		HostPathsCreated: []string{"/var/lib/kubelet"},
		Processes:        []Process{{Name: "etcd", PID: 42, Binary: "/repo/.tools/etcd-v3/etcd"}},
	}
	tests := []struct {
		name    string
		change  func(r *Record)
		refused string // the entry named; "" for none
	}{
		{"what up writes", func(*Record) {}, ""},
		// A sandbox started before a version move: down still stops it.
		{"the same tool of another version", func(r *Record) {
			r.Processes[0].Binary = "/repo/.tools/etcd-v2.9.1/etcd"
		}, ""},
		{"a foreign sysctl", func(r *Record) { r.Sysctls = append(r.Sysctls, Sysctl{"kernel.hostname", "x"}) }, "kernel.hostname=x"},
		{"a kubelet sysctl set to a word", func(r *Record) { r.Sysctls[0].Value = "1; reboot" }, "vm.overcommit_memory=1; reboot"},
		{"a foreign host path", func(r *Record) { r.HostPathsCreated = append(r.HostPathsCreated, "/home") }, "/home"},
		{"a data directory outside the state", func(r *Record) { r.DataDirs = append(r.DataDirs, "/etc") }, "/etc"},
		{"a mount root elsewhere", func(r *Record) { r.MountRoots = append(r.MountRoots, "/") }, `"/"`},
		{"a cgroup of another name", func(r *Record) { r.Cgroups = append(r.Cgroups, "/sys/fs/cgroup/memory/system.slice") }, "system.slice"},
		{"a cgroup escaping its controller", func(r *Record) {
			r.Cgroups = append(r.Cgroups, "/sys/fs/cgroup/memory/../play-kubernetes-sandbox")
		}, "/sys/fs/cgroup/memory/../play-kubernetes-sandbox"},
		{"a runtime directory not derived from the namespace", func(r *Record) { r.RuntimeDir = "/run" }, `"/run"`},
		{"a process of another binary", func(r *Record) {
			r.Processes = append(r.Processes, Process{Name: "etcd", PID: 1234, Binary: "/usr/sbin/sshd"})
		}, "/usr/sbin/sshd"},
		{"init", func(r *Record) {
			r.Processes = append(r.Processes, Process{Name: "etcd", PID: 1, Binary: "/repo/.tools/containerd-v2.4.2/containerd"})
		}, "pid 1 "},
		{"another tool's binary under a version directory", func(r *Record) {
			r.Processes = append(r.Processes, Process{Name: "etcd", PID: 1234, Binary: "/repo/.tools/pulumi-v3.276.0/etcd"})
		}, "/repo/.tools/pulumi-v3.276.0/etcd"},
		{"another binary of the same tool", func(r *Record) {
			r.Processes = append(r.Processes, Process{Name: "etcd", PID: 1234, Binary: "/repo/.tools/etcd-v2/etcdctl"})
		}, "/repo/.tools/etcd-v2/etcdctl"},
		{"a path escaping the tools directory", func(r *Record) {
			r.Processes = append(r.Processes, Process{Name: "etcd", PID: 1234, Binary: "/repo/.tools/etcd-v2/../../../bin/etcd"})
		}, "/repo/.tools/etcd-v2/../../../bin/etcd"},
		{"the same binary outside the tools directory", func(r *Record) {
			r.Processes = append(r.Processes, Process{Name: "etcd", PID: 1234, Binary: "/tmp/etcd-v2/etcd"})
		}, "/tmp/etcd-v2/etcd"},
		{"a namespace that is no name", func(r *Record) { r.Netns = "../../etc" }, "../../etc"},
		{"an unknown mode", func(r *Record) { r.Mode = "vm" }, "vm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			r.Sysctls = append([]Sysctl(nil), good.Sysctls...)
			r.Processes = append([]Process(nil), good.Processes...)
			tt.change(&r)
			ok, refused := r.Check(a)
			if tt.refused == "" {
				if len(refused) > 0 {
					t.Fatalf("refused %v of a record up writes", refused)
				}
				if len(ok.Processes) != 1 || len(ok.Sysctls) != 2 || len(ok.Cgroups) != 2 || ok.RuntimeDir != ns.RuntimeDir() {
					t.Errorf("checked record lost entries: %+v", ok)
				}
				return
			}
			var msgs []string
			for _, r := range refused {
				msgs = append(msgs, r.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tt.refused) {
				t.Errorf("refusals %q do not name %s", msgs, tt.refused)
			}
			for _, p := range ok.Processes {
				if p.Binary == "/usr/sbin/sshd" || p.PID == 1 || p.Binary == tt.refused {
					t.Errorf("a refused process is still acted on: %+v", p)
				}
			}
			for _, p := range append(append(ok.HostPathsCreated, ok.DataDirs...), ok.MountRoots...) {
				if p == "/home" || p == "/etc" || p == "/" {
					t.Errorf("a refused path is still acted on: %s", p)
				}
			}
		})
	}
}

// TestSaveLoad: the record reads back as written, and a missing one is
// not found rather than an error.
func TestSaveLoad(t *testing.T) {
	file := t.TempDir() + "/sandbox.json"
	if _, found, err := Load(file); found || err != nil {
		t.Fatalf("Load of no file = found %v, %v", found, err)
	}
	r := Record{Mode: Kwok, Key: "k"}
	r.SetProcess(Process{Name: "etcd", PID: 10, Binary: "/bin/etcd"})
	r.SetProcess(Process{Name: "etcd", PID: 11, Binary: "/bin/etcd"})
	if err := r.Save(file); err != nil {
		t.Fatal(err)
	}
	got, found, err := Load(file)
	if err != nil || !found {
		t.Fatalf("Load = %v, %v", found, err)
	}
	if p, _ := got.Process("etcd"); p.PID != 11 || len(got.Processes) != 1 || got.Mode != Kwok || got.Key != "k" {
		t.Errorf("read back %+v", got)
	}
}
