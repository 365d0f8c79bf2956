package layout

import (
	"bytes"
	"strings"
	"testing"
)

func TestCheckNetnsName(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{DefaultNetns, true}, {"a", true}, {"pk-recorded", true},
		{"", false}, {"-a", false}, {"a-", false}, {"Not/A-Name", false}, {"../etc", false},
		{strings.Repeat("a", netnsNameMaxLength), true}, {strings.Repeat("a", netnsNameMaxLength+1), false},
	} {
		if err := CheckNetnsName(tt.name); (err == nil) != tt.ok {
			t.Errorf("CheckNetnsName(%q) = %v, want ok %v", tt.name, err, tt.ok)
		}
		// containerd refuses a shim socket directory over 42 characters.
		if dir := (Netns{Name: tt.name}).ShimSocketDir(); tt.ok && len(dir) > 42 {
			t.Errorf("an accepted name gives the shim socket directory %s, %d characters: containerd takes at most 42", dir, len(dir))
		}
	}
}

func TestIsCgroupDir(t *testing.T) {
	n := Netns{Name: "sb"}
	for _, tt := range []struct {
		dir string
		ok  bool
	}{
		{"/sys/fs/cgroup/memory/sb", true},
		{"/sys/fs/cgroup/cpu,cpuacct/sb", true},
		{"/sys/fs/cgroup/sb", false},
		{"/sys/fs/cgroup/memory/other", false},
		{"/sys/fs/cgroup/memory/sb/child", false},
		{"/sys/fs/cgroup/memory/../sb", false},
		{"/sys/fs/cgroup/memory//sb", false},
		{"/tmp/memory/sb", false},
	} {
		if got := n.IsCgroupDir(tt.dir); got != tt.ok {
			t.Errorf("IsCgroupDir(%q) = %v, want %v", tt.dir, got, tt.ok)
		}
	}
}

// TestWriteMakeNamesNoCheckout: the include make reads holds paths below
// $(CURDIR) only, so it is the same for every checkout.
func TestWriteMakeNamesNoCheckout(t *testing.T) {
	var b bytes.Buffer
	if err := New("/some/checkout").WriteMake(&b); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if !strings.Contains(line, " := $(CURDIR)/.") || strings.Contains(line, "/some/checkout") {
			t.Errorf("make line %q: want a path below $(CURDIR)", line)
		}
	}
	for _, v := range []string{"PLAYK8S := $(CURDIR)/.tools/bin/playk8s", "SANDBOX_KUBECONFIG := $(CURDIR)/.state/sandbox/kubeconfig"} {
		if !strings.Contains(b.String(), v) {
			t.Errorf("make include lacks %s:\n%s", v, b.String())
		}
	}
}
