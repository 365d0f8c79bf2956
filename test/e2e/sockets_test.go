package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/hoststate"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/process"
	"github.com/play-kubernetes/play-kubernetes/test/utils"
)

// sandboxComponents are the processes `sandbox up` starts inside the
// sandbox's network namespace, by their names in its record; forwarder is
// the one in the host's, the only bridge between the two.
var sandboxComponents = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "containerd", "kubelet", "kube-proxy", "kwok"}

const forwarder = "forward"

// componentPID is a component's PID as the record names it, checked to
// run its binary.
func componentPID(t *testing.T, name string) int {
	t.Helper()
	p, ok := sandboxRecord(t).Process(name)
	if !ok {
		t.Fatalf("the sandbox's record names no process %s (is the sandbox up?)", name)
	}
	if !process.Alive(p.PID, p.Binary) {
		t.Fatalf("%s (pid %d, %s) is not running", name, p.PID, p.Binary)
	}
	return p.PID
}

// sameNamespace: is the process in the network namespace at nsFile?
func sameNamespace(t *testing.T, pid int, nsFile string) bool {
	t.Helper()
	a, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid), "ns", "net"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.Stat(nsFile)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(a, b)
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Inside the sandbox's namespace only these links may exist: its
// loopback, the CNI bridge and the pods' ends of their veths.
var allowedLink = regexp.MustCompile(`^(lo|cni0|veth[0-9a-f]+@if[0-9]+)$`)

// checkNetworkSealed is the sandbox's network safety rule, asserted while
// it runs: every cluster process lives in the sandbox's namespace, which
// has no link but lo, the bridge and pod veths and no route but the pod
// network's; the host's namespace holds only the forwarder, listening on
// 127.0.0.1; the host's links, routes, iptables and nftables rules and
// network settings are those recorded before the sandbox started.
func checkNetworkSealed(t *testing.T) {
	t.Helper()
	nsFile := layout.Netns{Name: sandboxNetns}.Path()
	rec := sandboxRecord(t)
	for _, c := range sandboxComponents {
		if p, _ := rec.Process(c); !p.InNetns {
			t.Errorf("the record says %s was not started inside the sandbox's namespace", c)
		}
		if pid := componentPID(t, c); !sameNamespace(t, pid, nsFile) {
			t.Errorf("%s (pid %d) is not in the sandbox's network namespace", c, pid)
		}
	}
	fwd := componentPID(t, forwarder)
	if sameNamespace(t, fwd, nsFile) {
		t.Errorf("the forwarder runs inside the sandbox's namespace; it must listen on the host's 127.0.0.1")
	}

	links := 0
	for _, line := range strings.Split(strings.TrimSpace(run(t, "ip", "-n", sandboxNetns, "-o", "link", "show")), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		name := strings.TrimSuffix(f[1], ":")
		links++
		if !allowedLink.MatchString(name) {
			t.Errorf("link %q in the sandbox's namespace; only lo, cni0 and pod veths may exist: %s", name, line)
		}
		if strings.HasPrefix(name, "veth") && !strings.Contains(line, "master cni0") {
			t.Errorf("veth %s is not a port of the pod bridge: %s", name, line)
		}
	}
	if links < 3 {
		t.Errorf("the sandbox's namespace has %d links; want lo, cni0 and the pods' veths", links)
	}
	for _, family := range []string{"-4", "-6"} {
		for _, line := range strings.Split(strings.TrimSpace(run(t, "ip", family, "-n", sandboxNetns, "route", "show", "table", "main")), "\n") {
			if line == "" {
				continue
			}
			ok := strings.HasPrefix(line, layout.PodCIDR+" dev "+layout.Bridge+" ") || strings.HasPrefix(line, layout.ServiceCIDR+" dev "+layout.Bridge+" ") ||
				(family == "-6" && regexp.MustCompile(`^fe80::/64 dev (cni0|veth[0-9a-f]+) `).MatchString(line))
			if !ok {
				t.Errorf("route %q in the sandbox's namespace; want only the pod and Service networks on the bridge (no default route)", line)
			}
		}
	}

	socks, err := utils.Sockets(map[int]bool{fwd: true})
	if err != nil {
		t.Fatal(err)
	}
	listening := 0
	for _, s := range socks {
		if s.State == "LISTEN" {
			listening++
		}
		if !s.OnLoopback() {
			t.Errorf("forwarder socket not on 127.0.0.0/8: %s", s)
		}
	}
	if listening == 0 {
		t.Errorf("the forwarder has no listening socket; ss saw %v", socks)
	}

	before, now := hostSnapshots(t)
	for _, section := range []string{"links", "routes", "iptables", "nftables", "network sysctls", "network namespaces", "container runtime paths"} {
		if before[section] != now[section] {
			t.Errorf("the host's %s changed while the sandbox runs:\nbefore:\n%s\nnow:\n%s", section, before[section], now[section])
		}
	}
	t.Logf("sealed: %d cluster processes in %s, %d links there, the forwarder's %d sockets on 127.0.0.1, the host's network unchanged",
		len(sandboxComponents), sandboxNetns, links, len(socks))
}

// hostSnapshots: the host's state recorded by the sandbox's fresh start
// (.state/sandbox/host-before) and as it is now, both by section.
func hostSnapshots(t *testing.T) (before, now map[string]string) {
	t.Helper()
	raw, err := os.ReadFile(checkout(t).SandboxState().HostBefore())
	if err != nil {
		t.Fatalf("the host's state before the sandbox: %v", err)
	}
	return hoststate.Sections(string(raw)), hoststate.Sections(hoststate.Snapshot(sandboxNetns))
}

func TestSandboxNetworkIsSealed(t *testing.T) {
	sandbox(t)
	checkNetworkSealed(t)
}
