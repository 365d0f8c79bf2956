package cluster

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/hoststate"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/process"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/record"
)

// cleanupNode removes everything real mode made on this machine, as the
// checked record names it, whether or not the daemons are still there (a
// killed up leaves them).
func (sb *Sandbox) cleanupNode(r record.Record) {
	// Whatever still runs in the namespace: containerd's shims, a daemon
	// whose start was not recorded.
	if r.NetnsPath != "" {
		if err := process.KillAll(func() []int { return pidsInNetns(r.NetnsPath) }, 50); err != nil {
			sb.Log.Warn("in the network namespace", "error", err)
		}
	}
	sb.killPods(r)
	// Mounts: containers' root filesystems, pod volumes, pod network
	// namespaces; deepest first.
	mounts, err := mountsUnder(r.MountRoots)
	if err != nil {
		sb.Log.Warn("reading mounts", "error", err)
	}
	for _, m := range mounts {
		if err := unix.Unmount(m, 0); err != nil {
			if err := unix.Unmount(m, unix.MNT_DETACH); err != nil {
				sb.Log.Warn("could not unmount "+m, "error", err)
			}
		}
	}
	for _, cg := range r.Cgroups {
		if err := removeCgroup(cg); err != nil {
			sb.Log.Warn("could not remove cgroup "+cg, "error", err)
		}
	}
	if r.NetnsPath != "" {
		if _, err := os.Stat(r.NetnsPath); err == nil {
			if err := ip("netns", "del", r.Netns); err != nil {
				sb.Log.Warn("could not delete network namespace "+r.Netns, "error", err)
			}
		}
	}
	for _, s := range r.Sysctls {
		if err := hoststate.WriteSysctl(s.Name, s.Value); err != nil {
			sb.Log.Warn("could not restore "+s.Name+"="+s.Value, "error", err)
		}
	}
	for _, p := range r.HostPathsCreated {
		if err := os.RemoveAll(p); err != nil {
			sb.Log.Warn("could not remove "+p, "error", err)
		}
	}
	if r.RuntimeDir != "" {
		if err := os.RemoveAll(r.RuntimeDir); err != nil {
			sb.Log.Warn("could not remove "+r.RuntimeDir, "error", err)
		}
	}
}

// killPods kills every process in the node's cgroups, then containerd's
// record of them (so a containerd that still runs holds nothing stale).
func (sb *Sandbox) killPods(r record.Record) {
	var root string
	for _, cg := range r.Cgroups {
		if filepath.Base(filepath.Dir(cg)) == "pids" || (root == "" && filepath.Base(filepath.Dir(cg)) == "memory") {
			root = cg
		}
	}
	if root != "" {
		if err := process.KillAll(func() []int { return pidsInCgroup(root) }, 50); err != nil {
			sb.Log.Warn("in the node's cgroups", "error", err)
		}
	}
	if p, ok := r.Process("containerd"); ok && process.Alive(p.PID, p.Binary) {
		ctx := context.Background()
		if ids, err := sb.ctr(ctx, "tasks", "ls", "-q"); err == nil {
			for _, id := range strings.Fields(ids) {
				_, _ = sb.ctr(ctx, "tasks", "delete", "-f", id)
			}
		}
	}
}

// pidsInNetns are the processes whose network namespace is the file's.
func pidsInNetns(nsFile string) []int {
	ns, err := os.Stat(nsFile)
	if err != nil {
		return nil
	}
	var out []int
	procs, _ := filepath.Glob("/proc/[0-9]*")
	self := os.Getpid()
	for _, p := range procs {
		pid, err := strconv.Atoi(filepath.Base(p))
		if err != nil || pid == self {
			continue
		}
		if st, err := os.Stat(filepath.Join(p, "ns", "net")); err == nil && os.SameFile(st, ns) {
			out = append(out, pid)
		}
	}
	return out
}

// pidsInCgroup are the processes in a cgroup and every cgroup below it.
func pidsInCgroup(dir string) []int {
	var out []int
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		for _, f := range strings.Fields(string(raw)) {
			if pid, err := strconv.Atoi(f); err == nil {
				out = append(out, pid)
			}
		}
		return nil
	})
	return out
}

// removeCgroup removes a cgroup and the cgroups below it, deepest first
// (a cgroup directory is removed with rmdir, its files go with it).
func removeCgroup(dir string) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := unix.Rmdir(dirs[i]); err != nil && !errors.Is(err, unix.ENOENT) {
			return err
		}
	}
	return nil
}

// mountsUnder are the mount points at or below any of roots, deepest
// first.
func mountsUnder(roots []string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mnt := unescapeMount(fields[4])
		for _, root := range roots {
			if mnt == root || strings.HasPrefix(mnt, root+"/") {
				out = append(out, mnt)
				break
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out, sc.Err()
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
