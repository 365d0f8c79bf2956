package record

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
)

// Refusal is one recorded entry `down` does not act on, and why.
type Refusal struct {
	Field, Entry, Reason string
}

func (r Refusal) Error() string {
	return fmt.Sprintf("refusing %s %q in the sandbox record: %s", r.Field, r.Entry, r.Reason)
}

// Allowed is what the sandbox of one checkout can make: what Check
// holds a record to.
type Allowed struct {
	// State is the sandbox's state directory.
	State layout.SandboxState
	// Binaries are the executables its components may run.
	Binaries []string
	// Tools is the directory tools are built into, one directory per
	// version (.tools/<tool>-<version>/<binary>): a binary of a component's
	// tool under another version is this sandbox's too, started before a
	// version move, and `down` must still stop it.
	Tools string
}

// toolVersionDir splits .tools/<tool>-<version> into the tool's name.
var toolVersionDir = regexp.MustCompile(`^(.+?)-v?[0-9]`)

// allows reports whether bin is a component binary, or the same binary of
// the same tool built for another version.
func (a Allowed) allows(bin string) bool {
	if slices.Contains(a.Binaries, bin) {
		return true
	}
	tool := func(b string) string {
		if a.Tools == "" || b != filepath.Clean(b) || filepath.Dir(filepath.Dir(b)) != a.Tools {
			return ""
		}
		if m := toolVersionDir.FindStringSubmatch(filepath.Base(filepath.Dir(b))); m != nil {
			return m[1]
		}
		return ""
	}
	name := tool(bin)
	return name != "" && slices.ContainsFunc(a.Binaries, func(b string) bool {
		return tool(b) == name && filepath.Base(b) == filepath.Base(bin)
	})
}

var number = regexp.MustCompile(`^-?[0-9]+$`)

// Check splits the record into what `down` may act on (the returned
// record) and the entries it refuses. A namespace name that is not one
// refuses everything derived from it: nothing in the record is then
// trusted but the state directory's own data.
func (r Record) Check(a Allowed) (Record, []Refusal) {
	var refused []Refusal
	refuse := func(field, entry, reason string) { refused = append(refused, Refusal{field, entry, reason}) }
	ok := Record{Mode: r.Mode, Key: r.Key, SysctlsRecorded: r.SysctlsRecorded, Images: r.Images}
	switch r.Mode {
	case Real, Kwok:
	default:
		refuse("mode", string(r.Mode), fmt.Sprintf("want %s or %s", Real, Kwok))
	}
	netnsOK := r.Netns != ""
	if r.Netns != "" {
		if err := layout.CheckNetnsName(r.Netns); err != nil {
			refuse("netns", r.Netns, err.Error())
			netnsOK = false
		} else {
			ok.Netns = r.Netns
		}
	}
	ns := layout.Netns{Name: r.Netns}
	derived := func(field, got, want string) string {
		switch {
		case got == "":
			return ""
		case !netnsOK || got != want:
			refuse(field, got, fmt.Sprintf("want %q, derived from the recorded namespace", want))
			return ""
		}
		return got
	}
	ok.NetnsPath = derived("netnsPath", r.NetnsPath, ns.Path())
	ok.RuntimeDir = derived("runtimeDir", r.RuntimeDir, ns.RuntimeDir())
	for _, cg := range r.Cgroups {
		if !netnsOK || !ns.IsCgroupDir(cg) {
			refuse("cgroup", cg, fmt.Sprintf("want %s/<controller>/%s", layout.CgroupFS, ns.CgroupRoot()))
			continue
		}
		ok.Cgroups = append(ok.Cgroups, cg)
	}
	for _, d := range r.DataDirs {
		if !slices.ContainsFunc(layout.DataDirs, func(n string) bool { return a.State.Data(n) == d }) {
			refuse("data directory", d, fmt.Sprintf("want one of %v under %s", layout.DataDirs, a.State.Dir))
			continue
		}
		ok.DataDirs = append(ok.DataDirs, d)
	}
	for _, m := range r.MountRoots {
		if m != a.State.Dir && (!netnsOK || m != ns.RuntimeDir()) {
			refuse("mount root", m, fmt.Sprintf("want the state directory %s or the runtime directory %s", a.State.Dir, ns.RuntimeDir()))
			continue
		}
		ok.MountRoots = append(ok.MountRoots, m)
	}
	for _, s := range r.Sysctls {
		if !layout.IsKubeletSysctl(s.Name) || !number.MatchString(s.Value) {
			refuse("sysctl", s.Name+"="+s.Value, fmt.Sprintf("not one of the kubelet's sysctls %v set to a number", layout.KubeletSysctls))
			continue
		}
		ok.Sysctls = append(ok.Sysctls, s)
	}
	for _, p := range r.HostPathsCreated {
		if !layout.IsKubeletHostPath(p) {
			refuse("host path", p, fmt.Sprintf("not one of the paths the sandbox creates %v", layout.KubeletHostPaths))
			continue
		}
		ok.HostPathsCreated = append(ok.HostPathsCreated, p)
	}
	for _, p := range r.Processes {
		if !a.allows(p.Binary) || p.PID <= 1 {
			refuse("process", fmt.Sprintf("%s pid %d (%s)", p.Name, p.PID, p.Binary), fmt.Sprintf("not a component binary of this sandbox %v", relAll(a)))
			continue
		}
		ok.Processes = append(ok.Processes, p)
	}
	return ok, refused
}

func relAll(a Allowed) []string {
	out := make([]string, 0, len(a.Binaries))
	for _, b := range a.Binaries {
		out = append(out, filepath.Base(b))
	}
	return out
}
