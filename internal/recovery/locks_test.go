package recovery

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// fakeProc writes /proc/<pid>/stat files: pid -> "comm state".
func fakeProc(t *testing.T, procs map[int]string) {
	t.Helper()
	dir := t.TempDir()
	for pid, commState := range procs {
		p := filepath.Join(dir, strconv.Itoa(pid))
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		// Real stat lines: "pid (comm) state ppid ...".
		line := strconv.Itoa(pid) + " (" + commState + " 1 1 1\n"
		if err := os.WriteFile(filepath.Join(p, "stat"), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := procDir
	procDir = dir
	t.Cleanup(func() { procDir = old })
}

func TestLockStale(t *testing.T) {
	fakeProc(t, map[int]string{
		101: "pulumi) S",
		102: "pulumi) Z",
		103: "bash) S",
		104: "pulumi-language) R",
		105: "playk8s) S",
	})
	cases := []struct {
		name  string
		lock  Lock
		stale bool
	}{
		{"live pulumi on this host", Lock{PID: 101, Host: "vm"}, false},
		{"zombie: killed, not yet reaped", Lock{PID: 102, Host: "vm"}, true},
		{"pid reused by another program", Lock{PID: 103, Host: "vm"}, true},
		{"no such process", Lock{PID: 199, Host: "vm"}, true},
		{"another host: cannot be checked", Lock{PID: 199, Host: "ci-runner-7"}, false},
		{"live pulumi child name", Lock{PID: 104, Host: "vm"}, false},
		// A recovery's own lock names its program.
		{"live recovery", Lock{PID: 105, Host: "vm", Program: "playk8s"}, false},
		{"recovery's pid reused by pulumi", Lock{PID: 101, Host: "vm", Program: "playk8s"}, true},
		{"recovery killed", Lock{PID: 199, Host: "vm", Program: "playk8s"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.lock.Stale("vm"); got != tc.stale {
				t.Errorf("Stale = %v, want %v", got, tc.stale)
			}
		})
	}
}

func TestFindLocks(t *testing.T) {
	backend := t.TempDir()
	dir := filepath.Join(backend, ".pulumi", "locks", "organization", "play-kubernetes", "sandbox")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The engine's lock file, and the blob store's attribute file next to it.
	body := `{"pid":6285,"username":"root","hostname":"vm","timestamp":"2026-11-27T20:21:43.006398927Z"}`
	for name, content := range map[string]string{"d15c.json": body, "d15c.json.attrs": `{"user.cache_control":""}`} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	locks, err := FindLocks("file://"+backend, "play-kubernetes", "sandbox")
	if err != nil {
		t.Fatal(err)
	}
	if len(locks) != 1 || locks[0].PID != 6285 || locks[0].Host != "vm" || locks[0].User != "root" || !locks[0].Time.Equal(time.Date(2026, 11, 27, 20, 21, 43, 6398927, time.UTC)) {
		t.Errorf("locks = %+v", locks)
	}
	for _, tc := range []struct{ url, stack string }{
		{"file://" + backend, "dev"},          // another stack's locks are not this one's
		{"file://" + t.TempDir(), "sandbox"},  // no locks directory at all
		{"s3://bucket/state", "sandbox"},      // service backends keep no lock files here
		{"https://api.pulumi.com", "sandbox"}, // Pulumi Cloud: `pulumi cancel`
	} {
		if got, err := FindLocks(tc.url, "play-kubernetes", tc.stack); err != nil || len(got) != 0 {
			t.Errorf("FindLocks(%s, %s) = %v, %v; want none", tc.url, tc.stack, got, err)
		}
	}
}
