// Package utils holds helpers for the end-to-end tests (test/e2e): kubectl
// against a given kubeconfig, the checkout's layout (internal/layout),
// and the TCP and UDP sockets of a set of processes as `ss` reports them.
package utils

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ProjectDir is the project root: the nearest directory at or above the
// working directory holding Pulumi.yaml (go test runs in the package's directory).
func ProjectDir() (string, error) {
	l, err := Layout()
	return l.Root, err
}

// Layout is the paths of the checkout the tests run in.
func Layout() (layout.Layout, error) { return layout.FromWorkingDir() }

// Kubectl runs kubectl against one kubeconfig, never the user's default.
type Kubectl struct {
	Kubeconfig string
}

// KubectlBinary is the pinned kubectl of the sandbox's Kubernetes version
// (hack/build-sandbox.sh builds it into .tools/), never whatever kubectl
// the machine's PATH holds: a client of another version decides what a
// test sees (server-side apply, field defaults, `rollout history` output).
func KubectlBinary() (string, error) {
	l, err := Layout()
	if err != nil {
		return "", err
	}
	bin := l.Kubectl()
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("the pinned kubectl is not built (make tools): %w", err)
	}
	return bin, nil
}

// Run runs kubectl and returns its standard output; a failure's error carries
// the command line and standard error.
func (k Kubectl) Run(args ...string) (string, error) {
	bin, err := KubectlBinary()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bin, append([]string{"--kubeconfig", k.Kubeconfig}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// Get is `kubectl get <args> -o json` decoded: one object, or a List whose
// items are in Items.
func (k Kubectl) Get(args ...string) (*unstructured.Unstructured, error) {
	out, err := k.Run(append(append([]string{"get"}, args...), "-o", "json")...)
	if err != nil {
		return nil, err
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON([]byte(out)); err != nil {
		return nil, fmt.Errorf("kubectl get %s: %w", strings.Join(args, " "), err)
	}
	return obj, nil
}

// Items is the objects of a List returned by Get.
func Items(list *unstructured.Unstructured) []unstructured.Unstructured {
	var out []unstructured.Unstructured
	items, _, _ := unstructured.NestedSlice(list.Object, "items")
	for _, it := range items {
		if m, ok := it.(map[string]interface{}); ok {
			out = append(out, unstructured.Unstructured{Object: m})
		}
	}
	return out
}

// Field walks a dotted path through an object ("spec.ports.0.nodePort"):
// map keys, and list indexes as numbers. Missing parts give nil.
func Field(obj interface{}, path string) interface{} {
	for _, part := range strings.Split(path, ".") {
		switch o := obj.(type) {
		case map[string]interface{}:
			obj = o[part]
		case []interface{}:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(o) {
				return nil
			}
			obj = o[i]
		default:
			return nil
		}
	}
	return obj
}

// JSON renders a value for a failure message.
func JSON(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Socket is one TCP or UDP socket of a process, as `ss` reports it.
type Socket struct {
	Proto, State  string
	Local, Peer   string
	Process       string
	PID           int
	LocalAddr     netip.Addr
	PeerAddr      netip.Addr
	PeerWildcard  bool // a listening socket's "*" or 0.0.0.0 peer
	LocalWildcard bool // bound to every address (0.0.0.0, [::], *)
}

var ssUsers = regexp.MustCompile(`\("([^"]*)",pid=(\d+),`)

// Sockets lists every TCP and UDP socket (listening or connected) owned by
// one of pids, from `ss -tuanpH`.
func Sockets(pids map[int]bool) ([]Socket, error) {
	out, err := exec.Command("ss", "-tuanpH").Output()
	if err != nil {
		return nil, fmt.Errorf("ss -tuanpH: %w", err)
	}
	return ParseSS(string(out), pids), nil
}

// ParseSS reads `ss -tuanpH` output and keeps the sockets of pids. A socket
// shared by several processes is listed once per owning process in pids.
func ParseSS(out string, pids map[int]bool) []Socket {
	var socks []Socket
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		for _, m := range ssUsers.FindAllStringSubmatch(line, -1) {
			pid, _ := strconv.Atoi(m[2])
			if !pids[pid] {
				continue
			}
			s := Socket{Proto: f[0], State: f[1], Local: f[4], Peer: f[5], Process: m[1], PID: pid}
			s.LocalAddr, s.LocalWildcard = parseEndpoint(s.Local)
			s.PeerAddr, s.PeerWildcard = parseEndpoint(s.Peer)
			socks = append(socks, s)
		}
	}
	return socks
}

// parseEndpoint reads ss's "addr:port" ("127.0.0.1:6443", "[::1]:80",
// "[::ffff:127.0.0.1]:80", "*:*", "0.0.0.0:*", "127.0.0.1%lo:53"):
// the address (unmapped from IPv4-in-IPv6), and whether it is a wildcard.
func parseEndpoint(s string) (netip.Addr, bool) {
	host := s
	if i := strings.LastIndex(s, ":"); i >= 0 {
		host = s[:i]
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if i := strings.Index(host, "%"); i >= 0 {
		host = host[:i]
	}
	if host == "*" {
		return netip.Addr{}, true
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	addr = addr.Unmap()
	return addr, addr.IsUnspecified()
}

// LoopbackV4 is 127.0.0.0/8.
var LoopbackV4 = netip.MustParsePrefix("127.0.0.0/8")

// OnLoopback reports whether a socket is bound to 127.0.0.0/8 and, unless
// it is a listening socket (wildcard peer), connected to 127.0.0.0/8.
func (s Socket) OnLoopback() bool {
	if s.LocalWildcard || !LoopbackV4.Contains(s.LocalAddr) {
		return false
	}
	if s.PeerWildcard && (s.State == "LISTEN" || s.State == "UNCONN") {
		return true
	}
	return LoopbackV4.Contains(s.PeerAddr)
}

func (s Socket) String() string {
	return fmt.Sprintf("%s %s %s -> %s (%s pid %d)", s.Proto, s.State, s.Local, s.Peer, s.Process, s.PID)
}
