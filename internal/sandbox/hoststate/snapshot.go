// Package hoststate reads and restores what the sandbox must leave as it
// found it on the host: the network state it never touches (links,
// routes, iptables and nftables rules, network settings, other network
// namespaces), and the kernel settings and paths its kubelet changes,
// which `down` puts back.
package hoststate

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
)

var (
	linkIndex   = regexp.MustCompile(`^[0-9]+: `)
	linkDetails = regexp.MustCompile(` link/.*| qlen [0-9]+`)
	counters    = regexp.MustCompile(`\[[0-9]+:[0-9]+\]`)
)

// networkSysctls are the host's network settings a leak into the host
// would change.
var networkSysctls = []string{"net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding", "net.ipv4.conf.all.route_localnet",
	"net.bridge.bridge-nf-call-iptables", "net.netfilter.nf_conntrack_max"}

// Snapshot is the host's state by "# section" headers, counters and
// timestamps stripped: a fresh `up` records it, and test/e2e compares
// the first sections while the sandbox runs and all of them after `down`
// (the kubelet changes the kernel settings and creates the paths of the
// last two while it runs). ownNetns is left out of the namespaces.
func Snapshot(ownNetns string) string {
	var b strings.Builder
	section := func(name string) { fmt.Fprintf(&b, "# %s\n", name) }
	section("links")
	for _, line := range lines(run("ip", "-o", "link", "show")) {
		line = linkDetails.ReplaceAllString(linkIndex.ReplaceAllString(line, ""), "")
		b.WriteString(line + "\n")
	}
	section("routes")
	b.WriteString(run("ip", "route", "show", "table", "all"))
	b.WriteString(run("ip", "-6", "route", "show", "table", "all"))
	section("iptables")
	for _, line := range lines(run("iptables-save")) {
		if !strings.HasPrefix(line, "#") {
			b.WriteString(counters.ReplaceAllString(line, "") + "\n")
		}
	}
	section("nftables")
	b.WriteString(run("nft", "list", "ruleset"))
	section("network sysctls")
	for _, name := range networkSysctls {
		writeSysctl(&b, name)
	}
	section("network namespaces")
	var names []string
	for _, line := range lines(run("ip", "netns", "list")) {
		if f := strings.Fields(line); len(f) > 0 && f[0] != ownNetns {
			names = append(names, f[0])
		}
	}
	slices.Sort(names)
	for _, n := range names {
		b.WriteString(n + "\n")
	}
	section("container runtime paths (never created)")
	for _, p := range layout.RuntimeDefaultPaths {
		if _, err := os.Stat(p); err == nil {
			b.WriteString(p + "\n")
		}
	}
	section("kernel sysctls (the kubelet's, restored by down)")
	for _, name := range layout.KubeletSysctls {
		writeSysctl(&b, name)
	}
	section("host paths (the kubelet's and istio-cni's, removed by down)")
	for _, p := range layout.KubeletHostPaths {
		if _, err := os.Stat(p); err == nil {
			b.WriteString(p + "\n")
		}
	}
	return b.String()
}

func writeSysctl(b *strings.Builder, name string) {
	if v, err := ReadSysctl(name); err == nil {
		fmt.Fprintf(b, "%s = %s\n", name, v)
	}
}

// run is a command's output, or nothing when it fails or is missing (the
// same on both sides of a comparison).
func run(name string, args ...string) string {
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout = &out
	if cmd.Run() != nil {
		return ""
	}
	return out.String()
}

func lines(s string) []string {
	if s = strings.TrimRight(s, "\n"); s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// Sections splits a snapshot at its "# name" headers (a header's
// parenthesis left out).
func Sections(s string) map[string]string {
	out := map[string]string{}
	name := ""
	for _, line := range strings.Split(s, "\n") {
		if h, ok := strings.CutPrefix(line, "# "); ok {
			name, _, _ = strings.Cut(h, " (")
			continue
		}
		if name != "" {
			out[name] += line + "\n"
		}
	}
	return out
}
