package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/test/utils"
)

// sandboxComponents are the processes hack/sandbox.sh starts, by PID file name.
var sandboxComponents = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}

// checkSocketsOnLoopback fails the test unless every TCP and UDP socket of
// the sandbox's processes, listening or connected, is on 127.0.0.0/8, and
// each process has at least one listening socket (so the check saw them).
func checkSocketsOnLoopback(t *testing.T) {
	t.Helper()
	pids := map[int]bool{}
	names := map[int]string{}
	for _, c := range sandboxComponents {
		raw, err := os.ReadFile(filepath.Join(sandboxRunDir(), c+".pid"))
		if err != nil {
			t.Fatalf("%s: %v (is the sandbox up?)", c, err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil {
			t.Fatalf("%s.pid: %v", c, err)
		}
		if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err != nil {
			t.Fatalf("%s (pid %d) is not running", c, pid)
		}
		pids[pid], names[pid] = true, c
	}
	socks, err := utils.Sockets(pids)
	if err != nil {
		t.Fatal(err)
	}
	listening := map[int]int{}
	for _, s := range socks {
		if s.State == "LISTEN" {
			listening[s.PID]++
		}
		if !s.OnLoopback() {
			t.Errorf("%s: not on 127.0.0.0/8: %s", names[s.PID], s)
		}
	}
	for pid, name := range names {
		if listening[pid] == 0 {
			t.Errorf("%s (pid %d) has no listening socket; ss saw: %v", name, pid, socks)
		}
	}
	t.Logf("%d sockets of %d sandbox processes, all on 127.0.0.0/8", len(socks), len(pids))
}

func TestSandboxSocketsAreLoopback(t *testing.T) {
	sandbox(t)
	checkSocketsOnLoopback(t)
}
